// A clock a test moves by hand, for the simulator's `now` option (Unix seconds).
export interface ManualClock {
  now: () => number;
  set(unixSeconds: number): void;
  advance(seconds: number): void;
}

export function createManualClock(startUnixSeconds: number): ManualClock {
  let t = startUnixSeconds;
  return {
    now: () => t,
    set: (unixSeconds) => {
      t = unixSeconds;
    },
    advance: (seconds) => {
      t += seconds;
    },
  };
}
