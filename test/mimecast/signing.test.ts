import { describe, expect, it } from 'vitest';
import { formatMimecastDate, signRequest } from '../../src/mimecast/signing.js';

const keys = { appKey: 'ApplicationKey', accessKey: 'AccessKey', secretKey: 'U2VjcmV0S2V5' };

describe('signRequest', () => {
  it('matches the published Go client vector', () => {
    const header = signRequest({
      ...keys,
      date: 'Sun, 21 Aug 2022 13:49:40 UTC',
      requestId: '3d796b76-4180-40e5-8f7c-6e0fd643b1a9',
      path: '/api/test/some-url',
    });
    expect(header).toBe('MC AccessKey:WOywLsnZlsE+D6bp/ug6uch5kxc=');
  });

  it('matches the add-delegate-user vector', () => {
    const header = signRequest({
      ...keys,
      date: 'Tue, 24 Nov 2015 12:50:11 UTC',
      requestId: '8578FCFC-A305-4D9A-99CB-F4D5ECEFE297',
      path: '/api/user/add-delegate-user',
    });
    expect(header).toBe('MC AccessKey:57FKruNvZobGHjiHvuYSyzGoKeo=');
  });

  it('signs every part of the data to sign', () => {
    const input = {
      ...keys,
      date: 'Tue, 24 Nov 2015 12:50:11 UTC',
      requestId: '8578FCFC-A305-4D9A-99CB-F4D5ECEFE297',
      path: '/api/user/add-delegate-user',
    };
    const reference = signRequest(input);
    const variants = [
      { ...input, date: 'Tue, 24 Nov 2015 12:50:12 UTC' },
      { ...input, requestId: '8578FCFC-A305-4D9A-99CB-F4D5ECEFE298' },
      { ...input, path: '/api/user/remove-delegate-user' },
      { ...input, appKey: 'ApplicationKey2' },
      { ...input, secretKey: 'U2VjcmV0S2V6' },
    ];
    for (const variant of variants) {
      expect(signRequest(variant).slice('MC AccessKey:'.length)).not.toBe(
        reference.slice('MC AccessKey:'.length),
      );
    }
    expect(signRequest({ ...input, accessKey: 'Other' })).toBe(
      `MC Other:${reference.slice('MC AccessKey:'.length)}`,
    );
  });
});

describe('formatMimecastDate', () => {
  it('formats the documented example', () => {
    expect(formatMimecastDate(new Date(Date.UTC(2015, 10, 24, 12, 50, 11)))).toBe(
      'Tue, 24 Nov 2015 12:50:11 UTC',
    );
  });

  it('pads day, hours, minutes and seconds, and drops milliseconds', () => {
    expect(formatMimecastDate(new Date(Date.UTC(2022, 0, 2, 3, 4, 5, 999)))).toBe(
      'Sun, 02 Jan 2022 03:04:05 UTC',
    );
  });

  it('formats in UTC whatever the instant', () => {
    expect(formatMimecastDate(new Date('2024-02-29T23:59:59+02:00'))).toBe('Thu, 29 Feb 2024 21:59:59 UTC');
  });
});
