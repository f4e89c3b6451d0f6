import { describe, expect, it } from 'vitest';
import { messageWithDetails } from '@/utils/error-message';

describe('messageWithDetails', () => {
  it('adds the details the message does not already say', () => {
    expect(
      messageWithDetails({
        message: 'validation failed',
        details: [{ field: 'day', message: 'in the future' }, { message: 'bad quantity' }],
      }),
    ).toBe('validation failed: in the future; bad quantity');
    expect(
      messageWithDetails({
        message: 'already reviewed: anomaly 2',
        details: [{ message: 'anomaly 2' }, { message: '' }],
      }),
    ).toBe('already reviewed: anomaly 2');
    expect(messageWithDetails({ message: 'boom', details: [] })).toBe('boom');
  });
});
