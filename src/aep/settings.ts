/** AEP connection settings, read from the environment names fixed in DESIGN.md. */
import { readFileSync } from 'node:fs';
import { z } from 'zod';

export interface AepSettings {
  /** Default https://platform.adobe.io */
  platformUrl: string;
  /** Default https://ims-na1.adobelogin.com */
  imsUrl: string;
  /** Also sent as x-api-key. */
  clientId: string;
  clientSecret: string;
  /** Sent as x-gw-ims-org-id. */
  orgId: string;
  /** Comma-separated IMS scopes. */
  scopes: string;
  /**
   * AEP_MAX_REQUESTS_PER_SECOND: a fixed ceiling on this process's AEP requests per second for the organisation.
   * Unset, the client learns the gateway's limit from its 429s; set, it paces from the first request.
   */
  maxRequestsPerSecond?: number;
}

export const defaultAepScopes = 'openid,session,AdobeID,read_organizations,additional_info.projectedProductContext';

const requiredText = (name: string) =>
  z
    .string({ error: `${name} is required` })
    .trim()
    .min(1, { error: `${name} must not be empty` });

const notARate = 'AEP_MAX_REQUESTS_PER_SECOND must be a positive number of requests a second';

const environmentSchema = z.object({
  AEP_PLATFORM_URL: z.url({ error: 'AEP_PLATFORM_URL must be a URL' }).default('https://platform.adobe.io'),
  AEP_IMS_URL: z.url({ error: 'AEP_IMS_URL must be a URL' }).default('https://ims-na1.adobelogin.com'),
  AEP_CLIENT_ID: requiredText('AEP_CLIENT_ID'),
  AEP_CLIENT_SECRET: requiredText('AEP_CLIENT_SECRET'),
  AEP_ORG_ID: requiredText('AEP_ORG_ID'),
  AEP_SCOPES: requiredText('AEP_SCOPES').default(defaultAepScopes),
  AEP_MAX_REQUESTS_PER_SECOND: z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?$/, { error: notARate })
    .transform(Number)
    .refine((perSecond) => perSecond > 0, { error: notARate })
    .optional(),
});

/**
 * Reads AEP settings; a missing or malformed variable throws an Error naming it.
 * Messages never quote values, so the client secret cannot leak through them.
 */
export function aepSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): AepSettings {
  const present: Record<string, string | undefined> = Object.fromEntries(
    Object.keys(environmentSchema.shape).map((name) => [name, emptyToUndefined(env[name])]),
  );
  present.AEP_CLIENT_SECRET ??= secretFromFile(emptyToUndefined(env.AEP_CLIENT_SECRET_FILE));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => issue.message);
    throw new Error(`Invalid AEP settings: ${problems.join('; ')}`);
  }
  const values = parsed.data;
  return {
    platformUrl: withoutTrailingSlash(values.AEP_PLATFORM_URL),
    imsUrl: withoutTrailingSlash(values.AEP_IMS_URL),
    clientId: values.AEP_CLIENT_ID,
    clientSecret: values.AEP_CLIENT_SECRET,
    orgId: values.AEP_ORG_ID,
    scopes: values.AEP_SCOPES,
    ...(values.AEP_MAX_REQUESTS_PER_SECOND !== undefined
      ? { maxRequestsPerSecond: values.AEP_MAX_REQUESTS_PER_SECOND }
      : {}),
  };
}

/** AEP_CLIENT_SECRET_FILE names a file holding the secret (a mounted secret), so it need not be in the environment. */
function secretFromFile(path: string | undefined): string | undefined {
  if (path === undefined) return undefined;
  try {
    return emptyToUndefined(readFileSync(path, 'utf8').trim());
  } catch (error) {
    throw new Error(
      `Invalid AEP settings: AEP_CLIENT_SECRET_FILE cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
    );
  }
}

/** An exported-but-empty variable means "not set" (shells and .env files produce these). */
function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value;
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
