// A test double for the Electron preload's `window.praIc` (shared/contract.ts `PraApi`), injected
// with page.addInitScript before the renderer loads. It answers each channel with canned data,
// records every call, plays Tests (test-step events, then the result), and lets the test push
// engine events. Plain JavaScript: it is serialised into the page as it is.
function __installFakePraIc(config) {
  const clone = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
  const state = {
    calls: [],
    responses: config.responses || {},
    tests: config.tests || {},
    delayMs: config.delayMs || 0,
    listeners: new Set(),
  };
  const emit = (event) => {
    for (const listener of Array.from(state.listeners)) listener(clone(event));
  };
  const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  // As the real preload does: contextBridge keeps only an Error's message, so it carries the
  // ApiErrorBody as JSON (electron/preload/api.ts BridgeError).
  const bridgeError = (body) => new Error(JSON.stringify(body));

  async function playTest(input, script) {
    const finals = [];
    await wait(script.startDelayMs || 20);
    for (const step of script.steps) {
      if (step.status !== 'skipped') {
        emit({ type: 'test-step', testId: input.testId, step: { id: step.id, title: step.title, status: 'running', detail: '', durationMs: 0 } });
        await wait(script.stepDelayMs || 60);
      }
      finals.push(step);
      emit({ type: 'test-step', testId: input.testId, step });
      await wait(10);
    }
    if (script.error) throw bridgeError(script.error);
    return { ok: script.ok, steps: finals };
  }

  globalThis.praIc = {
    invoke(channel, input) {
      state.calls.push({ channel, input: clone(input) });
      const script = state.tests[channel];
      if (script) return playTest(input, script).then(clone);
      if (!Object.prototype.hasOwnProperty.call(state.responses, channel)) {
        return Promise.reject(bridgeError({ code: 'failed', message: `The fake has no answer for ${channel}.` }));
      }
      const answer = state.responses[channel];
      return wait(state.delayMs).then(() => {
        if (answer && typeof answer === 'object' && answer.__error) {
          throw bridgeError(answer.__error);
        }
        return clone(answer);
      });
    },
    onEvent(listener) {
      state.listeners.add(listener);
      return () => state.listeners.delete(listener);
    },
  };
  globalThis.__fake = {
    state,
    emit,
    calls: (channel) => state.calls.filter((c) => c.channel === channel).map((c) => c.input),
    respond: (channel, answer) => {
      state.responses[channel] = answer;
    },
    script: (channel, script) => {
      state.tests[channel] = script;
    },
  };
}
