import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/api/errors';
import { useFormSubmit } from '@/composables/useFormSubmit';

const rejected = new ApiError({
  status: 422,
  code: 'validation_failed',
  message: 'validation failed',
  details: [
    { field: 'name', message: 'too long' },
    { field: 'other', message: 'unknown field' },
  ],
});

function byField(error: ApiError) {
  const fields: Record<string, string> = {};
  const general: string[] = [];
  for (const d of error.details) {
    if (d.field === 'name') fields.name = d.message;
    else general.push(d.message);
  }
  return { fields, general };
}

describe('useFormSubmit', () => {
  it('shows the browser problems once submitted and saves nothing while they last', async () => {
    const form = useFormSubmit(byField);
    const save = vi.fn(async () => {});
    const problems = { name: 'required' };
    expect(form.fieldError('name', problems)).toBeUndefined();
    await form.submit(() => false, save);
    expect(save).not.toHaveBeenCalled();
    expect(form.attempted.value).toBe(true);
    expect(form.fieldError('name', problems)).toBe('required');
    form.reset();
    expect(form.fieldError('name', problems)).toBeUndefined();
  });

  it('puts a backend error on the fields and above the form, and clears it on the next submit', async () => {
    const form = useFormSubmit(byField);
    const pending = form.submit(
      () => true,
      () => Promise.reject(rejected),
    );
    expect(form.submitting.value).toBe(true);
    await pending;
    expect(form.submitting.value).toBe(false);
    expect(form.serverErrors.value).toEqual({ name: 'too long' });
    expect(form.generalErrors.value).toEqual(['unknown field']);
    expect(form.fieldError('name', {})).toBe('too long');

    await form.submit(
      () => true,
      async () => {},
    );
    expect(form.serverErrors.value).toEqual({});
    expect(form.generalErrors.value).toEqual([]);
  });

  it('runs one submit at a time', async () => {
    const form = useFormSubmit(byField);
    let finish: () => void = () => {};
    const save = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const first = form.submit(() => true, save);
    await form.submit(() => true, save);
    expect(save).toHaveBeenCalledTimes(1);
    finish();
    await first;
    expect(form.submitting.value).toBe(false);
  });
});
