/** API 1.0 base URLs by region name. `https://api.mimecast.com` is only for region discovery, so not here. */
export const MIMECAST_REGIONS = {
  eu: 'https://eu-api.mimecast.com',
  de: 'https://de-api.mimecast.com',
  us: 'https://us-api.mimecast.com',
  usb: 'https://usb-api.mimecast.com',
  ca: 'https://ca-api.mimecast.com',
  za: 'https://za-api.mimecast.com',
  au: 'https://au-api.mimecast.com',
  je: 'https://je-api.mimecast.com',
  uspcom: 'https://uspcom-api.mimecast-pscom-us.com',
} as const satisfies Record<string, string>;

export type MimecastRegion = keyof typeof MIMECAST_REGIONS;

/** The global API 2.0 gateway; it fails over between regions, so it is the default for OAuth. */
export const MIMECAST_OAUTH_GATEWAY = 'https://api.services.mimecast.com';

/** API 2.0 gateways by name. The 1.0 hosts above do not serve 2.0, so OAuth gets its own names. */
export const MIMECAST_OAUTH_GATEWAYS = {
  global: MIMECAST_OAUTH_GATEWAY,
  uk: 'https://uk-api.services.mimecast.com',
  us: 'https://us-api.services.mimecast.com',
} as const satisfies Record<string, string>;

export type MimecastBaseUrlResolution = { ok: true; url: string } | { ok: false; problem: string };

/**
 * Turns the configured region name or URL into a base URL without a trailing slash.
 * Plain http is refused except on loopback, where it is how the simulator is reached: credentials and
 * bearer tokens must not cross a network unencrypted.
 */
export function resolveMimecastBaseUrl(
  value: string | undefined,
  authKind: 'hmac' | 'oauth',
): MimecastBaseUrlResolution {
  const trimmed = value?.trim() ?? '';
  const regions: Record<string, string> = authKind === 'hmac' ? MIMECAST_REGIONS : MIMECAST_OAUTH_GATEWAYS;
  const regionNames = Object.keys(regions).join(', ');

  if (trimmed === '') {
    if (authKind === 'oauth') return { ok: true, url: MIMECAST_OAUTH_GATEWAY };
    return {
      ok: false,
      problem: `a Mimecast region or base URL is required with API 1.0 keys: one of ${regionNames}, or a full https URL`,
    };
  }

  const region = regions[trimmed.toLowerCase()];
  if (region !== undefined) return { ok: true, url: region };

  if (authKind === 'oauth' && trimmed.toLowerCase() in MIMECAST_REGIONS) {
    return {
      ok: false,
      problem: `"${trimmed.toLowerCase()}" is an API 1.0 region; with API 2.0 credentials use one of ${regionNames}, or a full https URL`,
    };
  }

  // From here on the value is not one of our names, so it is never quoted back: it may hold a password.
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    return { ok: false, problem: `is neither a region (${regionNames}) nor a URL` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, problem: 'must not contain a user name or password' };
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    return { ok: false, problem: 'must use https (plain http is allowed only on loopback)' };
  }
  if (url.search !== '' || url.hash !== '') {
    return { ok: false, problem: 'must not have a query or fragment' };
  }
  const path = url.pathname.replace(/\/+$/, '');
  return { ok: true, url: `${url.protocol}//${url.host}${path}` };
}

/** `hostname` as the WHATWG URL parser normalises it: IPv4 in dotted form, IPv6 in brackets. */
function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}
