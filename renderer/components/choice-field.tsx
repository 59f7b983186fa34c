import { Dropdown, Field, Option } from '@fluentui/react-components';

/** A labelled dropdown over a fixed list of choices (Activity's level, Sessions' time range). */
export function ChoiceField<Id extends string>({
  label,
  choices,
  value,
  onChange,
  className,
  testId,
}: {
  label: string;
  choices: readonly { id: Id; label: string }[];
  value: Id;
  onChange: (id: Id) => void;
  className?: string;
  testId?: string;
}) {
  return (
    <Field label={label}>
      <Dropdown
        className={className}
        value={choices.find((c) => c.id === value)?.label ?? ''}
        selectedOptions={[value]}
        onOptionSelect={(_, d) => d.optionValue && onChange(d.optionValue as Id)}
        data-testid={testId}
      >
        {choices.map((c) => (
          <Option key={c.id} value={c.id}>
            {c.label}
          </Option>
        ))}
      </Dropdown>
    </Field>
  );
}
