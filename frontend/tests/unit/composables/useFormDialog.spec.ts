import { describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { ApiError } from '@/api/errors';
import { createOrPatch, saveRecord, useFormDialog } from '@/composables/useFormDialog';
import { mapFieldErrors } from '@/utils/form-errors';

interface Metric {
  code: string;
  name: string;
}

function setup(record: Metric | null = null) {
  const visible = ref(false);
  const current = ref<Metric | null>(record);
  const close = vi.fn(() => {
    visible.value = false;
  });
  const onOpen = vi.fn();
  const scope = effectScope();
  const form = scope.run(() =>
    useFormDialog<Metric, Metric>({
      visible: () => visible.value,
      record: () => current.value,
      model: (metric) => ({ code: metric?.code ?? '', name: metric?.name ?? '' }),
      mapError: (error) => mapFieldErrors(error, ['code', 'name']),
      problems: (model) => ({
        code: model.code ? null : { key: 'pricing.rule.required', params: {} },
        name: model.name.length > 4 ? 'too long' : undefined,
      }),
      onOpen,
      close,
    }),
  )!;
  return { visible, current, close, onOpen, form, scope };
}

describe('useFormDialog', () => {
  it('fills the model from the record each time the dialog opens', async () => {
    const { visible, current, onOpen, form } = setup({ code: 'api', name: 'API' });
    expect(form.model).toEqual({ code: '', name: '' }); // closed: the defaults
    visible.value = true;
    await nextTick();
    expect(form.model).toEqual({ code: 'api', name: 'API' });
    expect(form.isEdit.value).toBe(true);
    expect(onOpen).toHaveBeenCalledTimes(1);
    form.model.name = 'changed';
    current.value = null; // another record while open: a new one
    await nextTick();
    expect(form.model).toEqual({ code: '', name: '' });
    expect(form.isEdit.value).toBe(false);
  });

  it('translates the problems, shows them once submitted and saves nothing while they last', async () => {
    const { visible, form, close } = setup();
    visible.value = true;
    await nextTick();
    form.model.name = 'longer';
    expect(Object.keys(form.problems.value).sort()).toEqual(['code', 'name']);
    expect(form.problems.value.name).toBe('too long');
    expect(form.problems.value.code).not.toBe('pricing.rule.required'); // a text, not the key
    expect(form.fieldError('name')).toBeUndefined();
    const save = vi.fn(async () => {});
    await form.submit(save);
    expect(save).not.toHaveBeenCalled();
    expect(close).not.toHaveBeenCalled();
    expect(form.fieldError('name')).toBe('too long');
    visible.value = false;
    await nextTick();
    visible.value = true; // opened again: nothing shown until the next submit
    await nextTick();
    form.model.name = 'longer';
    expect(form.fieldError('name')).toBeUndefined();
  });

  it('saves and closes; a refusal stays on the fields and keeps the dialog open', async () => {
    const { visible, form, close } = setup();
    visible.value = true;
    await nextTick();
    Object.assign(form.model, { code: 'api', name: 'API' });
    const refuse = vi.fn(async () => {
      throw new ApiError({
        status: 422,
        code: 'validation_failed',
        message: 'invalid',
        details: [
          { field: 'body.code', message: 'taken' },
          { field: 'other', message: 'odd' },
        ],
      });
    });
    await form.submit(refuse);
    expect(close).not.toHaveBeenCalled();
    expect(form.fieldError('code')).toBe('taken');
    expect(form.generalErrors.value).toEqual(['other: odd']);
    const save = vi.fn(async () => {});
    await form.submit(save);
    expect(save).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
    expect(form.fieldError('code')).toBeUndefined();
    expect(visible.value).toBe(false);
  });

  it('starts afresh when what it also watches changes while open', async () => {
    const visible = ref(true);
    const mode = ref('edit');
    const scope = effectScope();
    const form = scope.run(() =>
      useFormDialog({
        visible: () => visible.value,
        also: () => mode.value,
        model: () => ({ mode: mode.value }),
        mapError: (error) => mapFieldErrors(error, []),
        close: () => {},
      }),
    )!;
    expect(form.model.mode).toBe('edit');
    mode.value = 'version';
    await nextTick();
    expect(form.model.mode).toBe('version');
    scope.stop();
  });

  it('gives form-dialog its visible, submitting, errors and closing', async () => {
    const { visible, form, close } = setup();
    visible.value = true;
    await nextTick();
    expect(form.dialog.value).toMatchObject({ visible: true, submitting: false, errors: [] });
    Object.assign(form.model, { code: 'api', name: 'API' });
    await form.submit(async () => {
      throw new ApiError({ status: 409, code: 'conflict', message: 'taken', details: [] });
    });
    expect(form.dialog.value.errors).toEqual(['taken']);
    form.dialog.value['onUpdate:visible'](false); // Cancel or the mask
    expect(close).toHaveBeenCalledTimes(1);
    expect(form.dialog.value.visible).toBe(false);
  });

  it('keeps a recognised refusal in its own alert until the next submit or opening', async () => {
    const visible = ref(true);
    const scope = effectScope();
    const form = scope.run(() =>
      useFormDialog({
        visible: () => visible.value,
        model: () => ({ reference: 'R1' }),
        conflict: (error) => (error.status === 409 ? { reference: 'taken' } : null),
        mapError: (error) => mapFieldErrors(error, ['reference']),
        close: () => {},
      }),
    )!;
    const duplicate = async () => {
      throw new ApiError({ status: 409, code: 'duplicate', message: 'already recorded', details: [] });
    };
    await form.submit(duplicate);
    expect(form.conflict.value).toBe('already recorded');
    expect(form.dialog.value.conflict).toBe('already recorded');
    expect(form.fieldError('reference')).toBe('taken');
    expect(form.generalErrors.value).toEqual([]);
    await form.submit(async () => {
      throw new ApiError({ status: 422, code: 'validation_failed', message: 'invalid', details: [] });
    });
    expect(form.conflict.value).toBe('');
    expect(form.generalErrors.value).toEqual(['invalid']);
    await form.submit(duplicate);
    visible.value = false;
    await nextTick();
    visible.value = true;
    await nextTick();
    expect(form.conflict.value).toBe('');
    scope.stop();
  });

  it('takes its own readiness check', async () => {
    const { visible, form, close } = setup();
    visible.value = true;
    await nextTick();
    const save = vi.fn(async () => {});
    await form.submit(save, () => true); // problems left, but the caller says ready
    expect(save).toHaveBeenCalledTimes(1);
    expect(close).toHaveBeenCalledTimes(1);
  });
});

describe('useFormDialog with a save', () => {
  function setupSaving(options: { stayOpen?: boolean; ready?: () => boolean } = {}) {
    const visible = ref(true);
    const record = ref<{ id: number; name: string } | null>(null);
    const save = vi.fn(async (model: { name: string; json: string }, current: { id: number } | null) => ({
      id: current?.id ?? 9,
      name: model.name,
    }));
    const saved = vi.fn();
    const scope = effectScope();
    const form = scope.run(() =>
      useFormDialog({
        visible, // the dialog's v-model: closed by setting it
        record: () => record.value,
        model: (current) => ({ name: current?.name ?? '', json: '{}' }),
        problems: (model) => ({ name: model.name ? null : 'required' }),
        live: (model) => ({ json: model.json.startsWith('{') ? null : 'not JSON' }),
        save,
        saved,
        ...options,
      }),
    )!;
    return { visible, record, save, saved, form, scope };
  }

  it('submits from the dialog: saves the model, tells what was saved and closes the visible model', async () => {
    const { visible, record, save, saved, form, scope } = setupSaving();
    form.model.name = 'new';
    await form.dialog.value.onSubmit?.();
    expect(save).toHaveBeenCalledWith(form.model, null);
    expect(saved).toHaveBeenCalledWith({ id: 9, name: 'new' }, true);
    expect(visible.value).toBe(false);
    record.value = { id: 4, name: 'old' };
    visible.value = true;
    await nextTick();
    expect(form.model.name).toBe('old');
    expect(form.dialog.value.model).toBe(form.model);
    await form.dialog.value.onSubmit?.();
    expect(saved).toHaveBeenLastCalledWith({ id: 4, name: 'old' }, false);
    scope.stop();
  });

  it('shows a live problem at once and saves nothing while it lasts', async () => {
    const { save, form, scope } = setupSaving();
    form.model.name = 'x';
    form.model.json = 'oops';
    expect(form.fieldError('json')).toBe('not JSON'); // before any submit
    expect(form.fieldError('name')).toBeUndefined();
    await form.dialog.value.onSubmit?.();
    expect(save).not.toHaveBeenCalled();
    scope.stop();
  });

  it('keeps the dialog open with stayOpen, and saves only when ready', async () => {
    let ready = false;
    const { visible, save, form, scope } = setupSaving({ stayOpen: true, ready: () => ready });
    form.model.name = 'x';
    await form.dialog.value.onSubmit?.();
    expect(save).not.toHaveBeenCalled();
    ready = true;
    await form.dialog.value.onSubmit?.();
    expect(save).toHaveBeenCalledTimes(1);
    expect(visible.value).toBe(true);
    scope.stop();
  });
});

describe('saveRecord', () => {
  it('creates from the model, or patches what changed', async () => {
    const create = vi.fn(async (model: { name: string }) => ({ id: 1, name: model.name }));
    const patch = vi.fn(async (id: number, body: { name?: string }) => ({ id, name: body.name ?? '' }));
    const save = saveRecord(
      create,
      (model, original) => (model.name === original.name ? {} : { name: model.name }),
      patch,
    );
    expect(await save({ name: 'a' }, null)).toEqual({ id: 1, name: 'a' });
    expect(await save({ name: 'a' }, { id: 2, name: 'a' })).toBeNull();
    expect(await save({ name: 'b' }, { id: 2, name: 'a' })).toEqual({ id: 2, name: 'b' });
    expect(patch).toHaveBeenCalledTimes(1);
  });
});

describe('createOrPatch', () => {
  const stored = { id: 7, name: 'old' };

  it('creates when there is no record', async () => {
    const create = vi.fn(async () => ({ id: 8, name: 'new' }));
    const patch = vi.fn();
    expect(await createOrPatch(null, create, () => ({}), patch)).toEqual({ id: 8, name: 'new' });
    expect(patch).not.toHaveBeenCalled();
  });

  it('sends only what changed, and nothing when nothing did', async () => {
    const create = vi.fn();
    const patch = vi.fn(async (id: number, body: { name?: string }) => ({ id, name: body.name ?? '' }));
    expect(await createOrPatch(stored, create, () => ({ name: 'new' }), patch)).toEqual({
      id: 7,
      name: 'new',
    });
    expect(patch).toHaveBeenCalledWith(7, { name: 'new' });
    expect(await createOrPatch(stored, create, () => ({}), patch)).toBeNull();
    expect(patch).toHaveBeenCalledTimes(1);
    expect(create).not.toHaveBeenCalled();
  });
});
