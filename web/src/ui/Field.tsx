// A labelled form field whose error, from the API's problem+json, sits right
// under it and is tied to it for screen readers.
import type { JSX } from "preact";
import { useId } from "preact/hooks";

type Props = Omit<JSX.InputHTMLAttributes<HTMLInputElement>, "label" | "onInput"> & {
  label: string;
  error?: string;
  hint?: string;
  value: string;
  onValue: (v: string) => void;
  multiline?: boolean;
};

export function Field({ label, error, hint, value, onValue, multiline, id, ...rest }: Props) {
  const auto = useId();
  const fid = id ?? auto;
  const described = [hint ? fid + "-hint" : "", error ? fid + "-err" : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id: fid,
    value,
    "aria-invalid": error ? true : undefined,
    "aria-describedby": described,
  };
  return (
    <div class={"field" + (error ? " field--error" : "")}>
      <label for={fid}>{label}</label>
      {multiline ? (
        <textarea {...common} rows={3} maxLength={rest.maxLength as number | undefined} onInput={(e) => onValue(e.currentTarget.value)} />
      ) : (
        <input {...rest} {...common} onInput={(e) => onValue(e.currentTarget.value)} />
      )}
      {hint && <p class="field__hint" id={fid + "-hint"}>{hint}</p>}
      {error && <p class="field__error" id={fid + "-err"}>{error}</p>}
    </div>
  );
}

/** FormError is the message of an error that no field owns, announced when it appears. */
export function FormError({ text }: { text?: string }) {
  return (
    <p class="form-error" role="alert" hidden={!text}>
      {text}
    </p>
  );
}
