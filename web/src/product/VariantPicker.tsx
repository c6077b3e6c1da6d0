// One radio group per attribute (size, colour…). A value whose SKUs are all
// sold out is disabled and says so; a value no SKU has with the other
// choices is left out.
import type { SKU } from "../api/client";
import { choose, dimensions, valueState, type Selection } from "../lib/variants";

interface Props {
  skus: SKU[];
  selection: Selection;
  onChange: (s: Selection) => void;
  name: string;
}

export function VariantPicker({ skus, selection, onChange, name }: Props) {
  return (
    <>
      {dimensions(skus).map((d) => (
        <fieldset class="picker" key={d.name}>
          <legend>
            {cap(d.name)}: <span class="muted">{selection[d.name] ?? "choose"}</span>
          </legend>
          <div class="picker__opts">
            {d.values.map((v) => {
              const state = valueState(skus, selection, d.name, v);
              return (
                <label class={"chip" + (state === "sold_out" ? " chip--soldout" : "")} key={v}>
                  <input
                    type="radio"
                    class="visually-hidden"
                    name={name + "-" + d.name}
                    value={v}
                    checked={selection[d.name] === v}
                    disabled={state === "sold_out"}
                    onChange={() => onChange(choose(skus, selection, d.name, v))}
                  />
                  <span>{v}</span>
                  {state === "sold_out" && <span class="visually-hidden"> (sold out)</span>}
                </label>
              );
            })}
          </div>
        </fieldset>
      ))}
    </>
  );
}

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
