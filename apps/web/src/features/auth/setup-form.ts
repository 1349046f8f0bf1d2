// The first-run form's rules (create the first admin): checked in the browser before anything is sent, so a typo in
// the repeated password is caught here; the gateway checks again and its refusal is shown as it says.
export interface SetupFormValues {
  readonly username: string;
  readonly password: string;
  readonly repeat: string;
  readonly displayName: string;
}

export type SetupFormErrors = Partial<Record<keyof SetupFormValues, string>>;

/** The gateway's username rule: 2-64 letters, digits, dots, dashes or underscores, starting with a letter or digit. */
const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{1,63}$/;
export const MIN_ADMIN_PASSWORD_CHARS = 8;
const MAX_PASSWORD_CHARS = 1024;
const MAX_DISPLAY_NAME_CHARS = 128;

export type SetupFormResult =
  | { readonly ok: true; readonly input: { username: string; password: string; displayName?: string } }
  | { readonly ok: false; readonly errors: SetupFormErrors };

export function validateSetupForm(values: SetupFormValues): SetupFormResult {
  const errors: SetupFormErrors = {};
  const username = values.username.trim();
  const displayName = values.displayName.trim();
  if (!username) errors.username = 'Choose a username.';
  else if (!USERNAME.test(username)) errors.username = 'A username is 2-64 letters, digits, dots, dashes or underscores, starting with a letter or digit.';
  const length = [...values.password].length;
  if (length === 0) errors.password = 'Choose a password.';
  else if (length < MIN_ADMIN_PASSWORD_CHARS)
    errors.password = `The password needs at least ${MIN_ADMIN_PASSWORD_CHARS} characters: this account can do everything.`;
  else if (length > MAX_PASSWORD_CHARS) errors.password = `The password may have at most ${MAX_PASSWORD_CHARS} characters.`;
  if (!errors.password && values.repeat !== values.password) errors.repeat = 'The two passwords are not the same.';
  if (displayName.length > MAX_DISPLAY_NAME_CHARS) errors.displayName = `A display name has at most ${MAX_DISPLAY_NAME_CHARS} characters.`;
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, input: { username, password: values.password, ...(displayName ? { displayName } : {}) } };
}
