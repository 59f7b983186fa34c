/** Short confirmations and failures as toasts in the corner ("Site saved", "Copied 120 lines"). */
import { Toast, ToastBody, ToastTitle, Toaster, useToastController, type ToastIntent } from '@fluentui/react-components';
import { useCallback } from 'react';

const TOASTER_ID = 'pra-ic-toaster';

export function AppToaster() {
  return <Toaster toasterId={TOASTER_ID} position="bottom-end" pauseOnHover pauseOnWindowBlur limit={4} />;
}

export function useNotify() {
  const { dispatchToast } = useToastController(TOASTER_ID);
  return useCallback(
    (intent: ToastIntent, title: string, body?: string) => {
      dispatchToast(
        <Toast data-testid="toast" data-intent={intent}>
          <ToastTitle>{title}</ToastTitle>
          {body ? <ToastBody>{body}</ToastBody> : null}
        </Toast>,
        { intent, timeout: intent === 'error' ? 8_000 : 4_000 },
      );
    },
    [dispatchToast],
  );
}
