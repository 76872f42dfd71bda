import { describe, expect, it } from 'vitest';
import {
  MIMECAST_OAUTH_GATEWAY,
  MIMECAST_REGIONS,
  resolveMimecastBaseUrl,
} from '../../src/mimecast/regions.js';

describe('MIMECAST_REGIONS', () => {
  it('lists the documented API 1.0 base URLs', () => {
    expect(MIMECAST_REGIONS).toEqual({
      eu: 'https://eu-api.mimecast.com',
      de: 'https://de-api.mimecast.com',
      us: 'https://us-api.mimecast.com',
      usb: 'https://usb-api.mimecast.com',
      ca: 'https://ca-api.mimecast.com',
      za: 'https://za-api.mimecast.com',
      au: 'https://au-api.mimecast.com',
      je: 'https://je-api.mimecast.com',
      uspcom: 'https://uspcom-api.mimecast-pscom-us.com',
    });
    expect(MIMECAST_OAUTH_GATEWAY).toBe('https://api.services.mimecast.com');
  });
});

describe('resolveMimecastBaseUrl', () => {
  it('resolves every API 1.0 region name, in any case', () => {
    for (const [name, url] of Object.entries(MIMECAST_REGIONS)) {
      expect(resolveMimecastBaseUrl(name, 'hmac')).toEqual({ ok: true, url });
      expect(resolveMimecastBaseUrl(` ${name.toUpperCase()} `, 'hmac')).toEqual({ ok: true, url });
    }
  });

  it('defaults to the global gateway for OAuth and requires a value for HMAC', () => {
    expect(resolveMimecastBaseUrl(undefined, 'oauth')).toEqual({ ok: true, url: MIMECAST_OAUTH_GATEWAY });
    expect(resolveMimecastBaseUrl('  ', 'oauth')).toEqual({ ok: true, url: MIMECAST_OAUTH_GATEWAY });
    for (const value of [undefined, '']) {
      const resolution = resolveMimecastBaseUrl(value, 'hmac');
      expect(resolution.ok).toBe(false);
      if (!resolution.ok) expect(resolution.problem).toContain('required');
    }
  });

  it('resolves API 2.0 gateway names for OAuth and refuses API 1.0 region names there', () => {
    expect(resolveMimecastBaseUrl('uk', 'oauth')).toEqual({
      ok: true,
      url: 'https://uk-api.services.mimecast.com',
    });
    expect(resolveMimecastBaseUrl('us', 'oauth')).toEqual({
      ok: true,
      url: 'https://us-api.services.mimecast.com',
    });
    expect(resolveMimecastBaseUrl('global', 'oauth')).toEqual({ ok: true, url: MIMECAST_OAUTH_GATEWAY });
    const eu = resolveMimecastBaseUrl('eu', 'oauth');
    expect(eu.ok).toBe(false);
    if (!eu.ok) expect(eu.problem).toContain('API 1.0 region');
  });

  it('accepts https URLs and strips trailing slashes, keeping a path prefix', () => {
    expect(resolveMimecastBaseUrl('https://eu-api.mimecast.com/', 'hmac')).toEqual({
      ok: true,
      url: 'https://eu-api.mimecast.com',
    });
    expect(resolveMimecastBaseUrl('https://proxy.example.com:8443/mimecast//', 'oauth')).toEqual({
      ok: true,
      url: 'https://proxy.example.com:8443/mimecast',
    });
  });

  it('refuses plain http except on loopback', () => {
    for (const value of [
      'http://eu-api.mimecast.com',
      'http://10.0.0.5:4010',
      'http://127.0.0.1.nip.io',
      'ftp://x.com',
    ]) {
      const resolution = resolveMimecastBaseUrl(value, 'hmac');
      expect(resolution, value).toMatchObject({ ok: false });
      if (!resolution.ok) expect(resolution.problem).toContain('https');
    }
    expect(resolveMimecastBaseUrl('http://127.0.0.1:4010/', 'hmac')).toEqual({
      ok: true,
      url: 'http://127.0.0.1:4010',
    });
    expect(resolveMimecastBaseUrl('http://127.8.9.10:4010', 'hmac')).toEqual({
      ok: true,
      url: 'http://127.8.9.10:4010',
    });
    expect(resolveMimecastBaseUrl('http://localhost:4010', 'oauth')).toEqual({
      ok: true,
      url: 'http://localhost:4010',
    });
    expect(resolveMimecastBaseUrl('http://[::1]:4010/', 'oauth')).toEqual({
      ok: true,
      url: 'http://[::1]:4010',
    });
  });

  it('refuses values that are neither a region nor a usable URL', () => {
    expect(resolveMimecastBaseUrl('mars', 'hmac')).toMatchObject({ ok: false });
    expect(resolveMimecastBaseUrl('https://user:pw@eu-api.mimecast.com', 'hmac')).toMatchObject({
      ok: false,
    });
    expect(resolveMimecastBaseUrl('https://eu-api.mimecast.com?x=1', 'hmac')).toMatchObject({ ok: false });
  });
});
