import { validateSetupForm } from './setup-form';

const good = { username: 'ada', password: 'Analytical-Engine-1843', repeat: 'Analytical-Engine-1843', displayName: ' Ada Lovelace ' };

describe('validateSetupForm (create the first admin)', () => {
  it('takes a valid form, trimming the username and display name (the password as typed)', () => {
    expect(validateSetupForm({ ...good, username: ' ada ' })).toEqual({
      ok: true,
      input: { username: 'ada', password: 'Analytical-Engine-1843', displayName: 'Ada Lovelace' },
    });
    expect(validateSetupForm({ ...good, displayName: '  ' })).toEqual({ ok: true, input: { username: 'ada', password: 'Analytical-Engine-1843' } });
  });

  it('refuses passwords that differ, naming the repeat field', () => {
    expect(validateSetupForm({ ...good, repeat: 'Analytical-Engine-1842' })).toEqual({ ok: false, errors: { repeat: 'The two passwords are not the same.' } });
  });

  it('refuses an empty or short password and a username the gateway would refuse, each with its own message', () => {
    const result = validateSetupForm({ username: '-x', password: 'short', repeat: 'short', displayName: '' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(Object.keys(result.errors).sort()).toEqual(['password', 'username']);
    expect(result.errors.password).toMatch(/at least 8/);
    expect(validateSetupForm({ ...good, username: '', password: '', repeat: '' })).toEqual({
      ok: false,
      errors: { username: 'Choose a username.', password: 'Choose a password.' },
    });
  });

  it('refuses a display name longer than the gateway keeps', () => {
    const result = validateSetupForm({ ...good, displayName: 'x'.repeat(129) });
    expect(result.ok ? undefined : result.errors.displayName).toMatch(/at most 128/);
  });
});
