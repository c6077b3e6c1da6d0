// Shipping details, remembered on this device for the next purchase.
import type { Schemas } from "../api/client";
import { Field } from "../ui/Field";

export type Shipping = Schemas["Shipping"];

const KEY = "reelmart.shipping";

export function savedShipping(): Shipping {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) ?? "null") as Shipping | null;
    if (s && typeof s.name === "string") return s;
  } catch {
    // ignore
  }
  return { name: "", line1: "", line2: "", city: "", region: "", postal_code: "", country: "US", phone: "" };
}

export function saveShipping(s: Shipping) {
  localStorage.setItem(KEY, JSON.stringify(s));
}

/** cleanShipping drops empty optional fields, which the API would check as given. */
export function cleanShipping(s: Shipping): Shipping {
  const out: Shipping = { name: s.name.trim(), line1: s.line1.trim(), city: s.city.trim(), postal_code: s.postal_code.trim(), country: s.country.trim().toUpperCase() };
  if (s.line2?.trim()) out.line2 = s.line2.trim();
  if (s.region?.trim()) out.region = s.region.trim();
  if (s.phone?.trim()) out.phone = s.phone.trim();
  return out;
}

interface Props {
  value: Shipping;
  onChange: (s: Shipping) => void;
  errors: Record<string, string>;
}

export function ShippingForm({ value, onChange, errors }: Props) {
  const set = (k: keyof Shipping) => (v: string) => onChange({ ...value, [k]: v });
  return (
    <fieldset class="form plain-fieldset">
      <legend class="label">Ship to</legend>
      <Field label="Full name" autoComplete="shipping name" value={value.name} onValue={set("name")} error={errors.name} />
      <Field label="Address" autoComplete="shipping address-line1" value={value.line1} onValue={set("line1")} error={errors.line1} />
      <Field label="Apartment, suite (optional)" autoComplete="shipping address-line2" value={value.line2 ?? ""} onValue={set("line2")} error={errors.line2} />
      <div class="fields-2">
        <Field label="City" autoComplete="shipping address-level2" value={value.city} onValue={set("city")} error={errors.city} />
        <Field label="Postal code" autoComplete="shipping postal-code" value={value.postal_code} onValue={set("postal_code")} error={errors.postal_code} />
      </div>
      <div class="fields-2">
        <Field label="Region (optional)" autoComplete="shipping address-level1" value={value.region ?? ""} onValue={set("region")} error={errors.region} />
        <Field label="Country code" autoComplete="shipping country" value={value.country} onValue={set("country")} error={errors.country} maxLength={2} hint="Two letters, e.g. US" />
      </div>
      <Field label="Phone (optional)" type="tel" autoComplete="shipping tel" value={value.phone ?? ""} onValue={set("phone")} error={errors.phone} />
    </fieldset>
  );
}
