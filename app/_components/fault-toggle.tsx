"use client";

import { FAULT_MODES, type FaultSettings } from "../_checkout/faults";

export function FaultToggle({ settings, onChange }: { settings: FaultSettings; onChange: (s: FaultSettings) => void }) {
  return (
    <fieldset className="card faults" data-testid="fault-toggle">
      <legend>Simulated network failure</legend>
      <div className="modes">
        {FAULT_MODES.map((m) => (
          <label key={m.id} className={settings.mode === m.id ? "mode selected" : "mode"}>
            <input type="radio" name="fault" value={m.id} checked={settings.mode === m.id} onChange={() => onChange({ ...settings, mode: m.id })} />
            <span>
              <strong>{m.label}</strong>
              <small>{m.hint}</small>
            </span>
          </label>
        ))}
      </div>
      {settings.mode === "flaky" && (
        <label className="seed">
          Seed
          <input
            type="number"
            inputMode="numeric"
            value={settings.seed}
            onChange={(e) => onChange({ ...settings, seed: Number.parseInt(e.target.value || "0", 10) })}
          />
        </label>
      )}
    </fieldset>
  );
}
