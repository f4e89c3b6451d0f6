import { describe, expect, it } from 'vitest';
import type { FileItem } from '@arco-design/web-vue';
import { useSingleFile } from '@/composables/useSingleFile';

function item(name: string): FileItem {
  return { uid: name, name, file: new File(['x'], name) } as FileItem;
}

describe('useSingleFile', () => {
  it('keeps the last file picked, refuses one it does not accept, and clears', () => {
    const refused: string[] = [];
    const single = useSingleFile(
      (file) => file.name.endsWith('.csv'),
      () => refused.push('refused'),
    );
    single.pick([item('a.csv'), item('b.csv')]);
    expect(single.file.value?.name).toBe('b.csv');
    expect(single.fileList.value).toHaveLength(1);
    single.pick([item('c.pdf')]);
    expect(single.file.value).toBeNull();
    expect(refused).toEqual(['refused']);
    single.pick([item('d.csv')]);
    single.clear();
    expect(single.file.value).toBeNull();
    single.pick([]);
    expect(single.fileList.value).toEqual([]);
  });
});
