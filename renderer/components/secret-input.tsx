/**
 * A Fluent Input for secrets that keeps the typed value out of the DOM's attributes.
 *
 * Fluent's Input is always a controlled <input>, and React mirrors a controlled input's value into
 * its `value` attribute, where anything that reads the page's HTML would find the secret. This one
 * is uncontrolled: the value lives only in the element (read it through the ref), never in React
 * state or an attribute. Same look and Field integration as Input (it is built from Input's hooks).
 */
import { renderInput_unstable, useInputStyles_unstable, useInput_unstable, type InputProps } from '@fluentui/react-components';
import { forwardRef } from 'react';

export type SecretInputProps = Omit<InputProps, 'value' | 'defaultValue' | 'type'>;

export const SecretInput = forwardRef<HTMLInputElement, SecretInputProps>(function SecretInput(props, ref) {
  const state = useInput_unstable({ ...props, type: 'password' }, ref);
  state.input.value = undefined;
  state.input.defaultValue = undefined;
  useInputStyles_unstable(state);
  return renderInput_unstable(state);
});
