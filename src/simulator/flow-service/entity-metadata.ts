/**
 * Identity, audit and version fields every Flow Service entity carries, in the shapes AEP returns:
 * uuid ids, epoch-ms timestamps, and quoted etags that double as `version`.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SimulatorContext } from '../context';

export interface AuditFields {
  createdAt: number;
  updatedAt: number;
  createdBy: string;
  updatedBy: string;
  createdClient: string;
  updatedClient: string;
  sandboxId: string;
  sandboxName: string;
  imsOrgId: string;
}

/** An etag shaped like AEP's (`"6802064a-0000-0200-0000-6387c6b90000"`): random prefix, then the time in hex. */
export function newEtag(now: number): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `"${randomUUID().slice(0, 8)}-0000-0200-0000-${seconds}0000"`;
}

const sandboxIds = new Map<string, string>();

/** A stable uuid-shaped id per sandbox name, so responses carry a sandboxId like AEP's. */
export function sandboxIdFor(sandboxName: string): string {
  let id = sandboxIds.get(sandboxName);
  if (!id) {
    const hex = createHash('sha1').update(`sandbox:${sandboxName}`).digest('hex');
    id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    sandboxIds.set(sandboxName, id);
  }
  return id;
}

export function auditFieldsForCreate(context: SimulatorContext, sandboxName: string, now: number): AuditFields {
  const { clientId, orgId } = context.settings;
  return {
    createdAt: now,
    updatedAt: now,
    createdBy: `${clientId}@AdobeID`,
    updatedBy: `${clientId}@AdobeID`,
    createdClient: clientId,
    updatedClient: clientId,
    sandboxId: sandboxIdFor(sandboxName),
    sandboxName,
    imsOrgId: orgId,
  };
}

/** Quotes and a weak `W/` prefix are optional in If-Match (one AEP doc example sends the bare value). */
export function etagsMatch(ifMatch: string, etag: string): boolean {
  return normalizeEtag(ifMatch) === normalizeEtag(etag);
}

function normalizeEtag(value: string): string {
  let trimmed = value.trim();
  if (trimmed.startsWith('W/')) trimmed = trimmed.slice(2);
  if (trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')) trimmed = trimmed.slice(1, -1);
  return trimmed;
}
