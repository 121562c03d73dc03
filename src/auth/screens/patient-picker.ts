import { html } from './escape.js';
import { formStart, layout, type FormOptions } from './layout.js';

export interface PatientChoice {
  /** The FHIR Patient id, posted as `patient`. */
  id: string;
  /** The patient's full name, e.g. "Alex Smith". */
  name: string;
  /** A short distinguishing line, e.g. "born 2019-06-14 · you". */
  detail?: string;
}

export interface PatientPickerOptions extends FormOptions {
  /** The name of the app asking for access. */
  appName: string;
  patients: readonly PatientChoice[];
  /** A message shown in an alert and linked to the choices, e.g. "Choose a patient to continue." */
  error?: string;
}

/** The patient picker: one radio (`patient` = id) per patient, none pre-selected, button `Continue`. */
export function renderPatientPicker(options: PatientPickerOptions): string {
  const { appName, patients, error } = options;
  const describedBy = error ? html` aria-describedby="patient-error"` : html``;
  const choices = patients.map(
    (p, i) => html`<label class="choice" for="patient-${i}">
<input type="radio" id="patient-${i}" name="patient" value="${p.id}"${i === 0 ? html` required` : ''}>
<span class="choice-body"><span class="choice-title">${p.name}</span>${p.detail ? html`<span class="visually-hidden">, </span><span class="choice-detail">${p.detail}</span>` : ''}</span>
</label>
`,
  );
  const body = html`<h1>Choose a patient</h1>
<p class="lede">Your account can reach more than one person's records. Whose records should <strong>${appName}</strong> see?</p>
${error ? html`<div class="alert" id="patient-error" role="alert"><p>${error}</p></div>` : ''}
${formStart(options)}
<fieldset class="choices"${describedBy}>
<legend>Patient</legend>
${choices}</fieldset>
<p class="muted small">${appName} will only see the records of the person you choose.</p>
<button type="submit" class="button button-primary button-block">Continue</button>
</form>`;
  return layout({ ...options, title: 'Choose a patient', body });
}
