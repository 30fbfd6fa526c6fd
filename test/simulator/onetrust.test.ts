import assert from 'node:assert/strict';
import { simulatorDefaults, startSimulator, type RunningSimulator } from '../../src/simulator';
import type { OneTrustProfile } from '../../src/simulator/context';
import { createOneTrustService } from '../../src/simulator/onetrust';
import { simulatorSettings } from '../../src/simulator/server';
import { Store } from '../../src/simulator/store';

const profilesPath = '/api/consentmanager/v1/datasubjects/profiles';
const subjectCount = 120;

interface ProfilePage {
  content: OneTrustProfile[];
  pageable: Record<string, unknown>;
  sort: Record<string, unknown>;
  number: number;
  size: number;
  numberOfElements: number;
  first: boolean;
  last: boolean;
  empty: boolean;
  requestContinuation: string;
}

function decodeJwtPayload(token: string): Record<string, unknown> {
  const parts = token.split('.');
  assert.equal(parts.length, 3, 'a JWT has three parts');
  return JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('simulator OneTrust', () => {
  const shortLivedClient = { clientId: 'hourly-client', clientSecret: 'hourly-secret', tokenLifetimeSeconds: 3600 };
  let simulator: RunningSimulator;

  before(async () => {
    simulator = await startSimulator({
      port: 0,
      oneTrustSubjects: subjectCount,
      oneTrustClients: [{ ...simulatorDefaults.oneTrustClient }, shortLivedClient],
    });
  });
  after(() => simulator.close());

  async function requestToken(fields: Record<string, string>) {
    const response = await fetch(`${simulator.url}/api/access/v1/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  async function adminToken(expiresInSeconds: number): Promise<string> {
    const response = await fetch(`${simulator.url}/__sim/onetrust/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ expiresInSeconds }),
    });
    assert.equal(response.status, 200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function getProfiles(token: string | undefined, query = '', headers: Record<string, string> = {}) {
    const response = await fetch(`${simulator.url}${profilesPath}${query}`, {
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as ProfilePage };
  }

  // OneTrust documents 401 "Invalid client credentials" and 400 "Invalid grant_type" for its token endpoint
  // (developer.onetrust.com getoauthtoken-1, aep-contract.md §7); the `error` codes are OAuth 2's (RFC 6749 §5.2).
  describe('OAuth token (POST /api/access/v1/oauth/token)', () => {
    it("mints a JWT-shaped bearer token that lives as long as the credential's lifetime (one year)", async () => {
      const before = Math.floor(Date.now() / 1000);
      const { status, body } = await requestToken({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.oneTrustClient.clientId,
        client_secret: simulatorDefaults.oneTrustClient.clientSecret,
      });
      assert.equal(status, 200);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 365 * 24 * 3600);
      assert.equal(typeof body.scope, 'string');
      const payload = decodeJwtPayload(body.access_token as string);
      assert.equal(payload.jti, body.jti);
      const exp = payload.exp as number;
      assert.ok(exp >= before + 365 * 24 * 3600 && exp <= before + 365 * 24 * 3600 + 5, `exp ${exp}`);
    });

    it('gives each credential its own lifetime', async () => {
      const { status, body } = await requestToken({
        grant_type: 'client_credentials',
        client_id: shortLivedClient.clientId,
        client_secret: shortLivedClient.clientSecret,
      });
      assert.equal(status, 200);
      assert.equal(body.expires_in, 3600);
    });

    it('refuses unknown credentials with 401 invalid_client', async () => {
      const { status, body } = await requestToken({
        grant_type: 'client_credentials',
        client_id: simulatorDefaults.oneTrustClient.clientId,
        client_secret: 'wrong',
      });
      assert.equal(status, 401);
      assert.deepEqual(body, { error: 'invalid_client', error_description: 'Invalid client credentials' });
    });

    it('refuses another grant type with 400', async () => {
      const { status, body } = await requestToken({
        grant_type: 'password',
        client_id: simulatorDefaults.oneTrustClient.clientId,
        client_secret: simulatorDefaults.oneTrustClient.clientSecret,
      });
      assert.equal(status, 400);
      assert.equal(body.error, 'unsupported_grant_type');
    });
  });

  describe('profiles (GET /api/consentmanager/v1/datasubjects/profiles)', () => {
    let token: string;
    before(async () => {
      token = await adminToken(3600);
    });

    it('needs a bearer token: 401 with a JSON body when it is missing, unknown or expired', async () => {
      // OneTrust documents the 401 but not its body (aep-contract.md §7), and no document names a code for a
      // missing token: the simulator's `unauthorized` is its own choice, so only the OAuth-style shape is checked.
      const missing = await getProfiles(undefined);
      assert.equal(missing.status, 401);
      const missingBody = missing.body as unknown as Record<string, unknown>;
      assert.equal(typeof missingBody.error, 'string');
      assert.equal(typeof missingBody.error_description, 'string');

      // invalid_token is OAuth 2's code for a refused bearer token (RFC 6750 §3.1); the descriptions are the
      // simulator's own.
      const unknown = await getProfiles('not.a.token');
      assert.equal(unknown.status, 401);
      assert.deepEqual(unknown.body, { error: 'invalid_token', error_description: 'Invalid access token' });

      const expired = await getProfiles(await adminToken(-60));
      assert.equal(expired.status, 401);
      assert.deepEqual(expired.body, { error: 'invalid_token', error_description: 'Access token expired' });
    });

    it('lets a token expire when its lifetime is over', async () => {
      // `exp` is in whole seconds, so a 2-second token lives between 1 and 2 seconds.
      const shortLived = await adminToken(2);
      assert.equal((await getProfiles(shortLived, '?size=1')).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 2100));
      assert.equal((await getProfiles(shortLived, '?size=1')).status, 401);
    });

    it('answers the first page of 20 in a Spring slice envelope, newest change first', async () => {
      const { status, body } = await getProfiles(token);
      assert.equal(status, 200);
      assert.equal(body.content.length, 20);
      assert.equal(body.number, 0);
      assert.equal(body.size, 20);
      assert.equal(body.numberOfElements, 20);
      assert.equal(body.first, true);
      assert.equal(body.last, false);
      assert.equal(body.empty, false);
      assert.deepEqual(body.pageable, {
        sort: { empty: false, sorted: true, unsorted: false },
        offset: 0,
        pageNumber: 0,
        pageSize: 20,
        paged: true,
        unpaged: false,
      });
      assert.deepEqual(body.sort, { empty: false, sorted: true, unsorted: false });
      assert.equal(typeof body.requestContinuation, 'string');
      const updated = body.content.map((profile) => profile.LastUpdatedDate);
      assert.deepEqual(updated, [...updated].sort().reverse(), 'sorted by lastModifiedDate, descending');
    });

    it('shapes each profile like the seed: Purposes with Status, Topics and CustomPreferences', async () => {
      const { body } = await getProfiles(token, '?size=50');
      const profile = body.content[0]!;
      assert.match(profile.Id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(profile.Identifier, /^[^@\s]+@example\.(com|org|net)$/);
      assert.match(profile.LastUpdatedDate, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
      assert.equal(typeof profile.TestDataSubject, 'boolean');
      assert.ok(Array.isArray(profile.DataElements));
      const purposes = body.content.flatMap((subject) => subject.Purposes as Array<Record<string, unknown>>);
      const statuses = new Set(purposes.map((purpose) => purpose.Status));
      assert.ok(statuses.has('ACTIVE') && statuses.size >= 3, `varied statuses: ${[...statuses].join(', ')}`);
      assert.ok(purposes.some((purpose) => Array.isArray(purpose.Topics)));
      assert.ok(purposes.some((purpose) => Array.isArray(purpose.CustomPreferences)));
      for (const subject of body.content) {
        for (const purpose of subject.Purposes as Array<Record<string, unknown>>) {
          assert.ok(String(purpose.FirstTransactionDate) >= subject.CreatedDate);
          assert.ok(String(purpose.FirstTransactionDate) <= String(purpose.LastTransactionDate));
          assert.ok(String(purpose.LastTransactionDate) <= subject.LastUpdatedDate);
        }
      }
    });

    it('pages with page and size; pages do not overlap', async () => {
      // A stable order: by lastModifiedDate, subjects could move between pages as they change.
      const first = await getProfiles(token, '?page=0&size=50&sort=id,asc');
      const second = await getProfiles(token, '?page=1&size=50&sort=id,asc');
      const third = await getProfiles(token, '?page=2&size=50&sort=id,asc');
      const ids = [...first.body.content, ...second.body.content, ...third.body.content].map((profile) => profile.Id);
      assert.deepEqual(ids, [...ids].sort());
      assert.equal(second.body.number, 1);
      assert.equal(second.body.pageable.offset, 50);
      assert.equal(third.body.numberOfElements, subjectCount - 100);
      assert.equal(third.body.last, true);
      const firstIds = new Set(first.body.content.map((profile) => profile.Id));
      assert.ok(second.body.content.every((profile) => !firstIds.has(profile.Id)));
    });

    it('refuses a page size above 50, and malformed numbers', async () => {
      const tooLarge = await getProfiles(token, '?size=51');
      assert.equal(tooLarge.status, 400);
      assert.match(JSON.stringify(tooLarge.body), /size/);
      assert.equal((await getProfiles(token, '?page=-1')).status, 400);
      assert.equal((await getProfiles(token, '?size=ten')).status, 400);
    });

    it('walks every subject exactly once with the requestContinuation header', async () => {
      const seen: string[] = [];
      let continuation: string | undefined;
      let pages = 0;
      for (;;) {
        const page = await getProfiles(token, '?size=50', continuation ? { requestContinuation: continuation } : {});
        assert.equal(page.status, 200);
        assert.equal(page.headers.get('requestContinuation'), page.body.requestContinuation);
        seen.push(...page.body.content.map((profile) => profile.Id));
        pages += 1;
        if (page.body.last) break;
        continuation = page.body.requestContinuation;
        // Time passes between pages; the continuation keeps the listing's instant, so nothing shifts.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.equal(pages, 3);
      assert.equal(seen.length, subjectCount);
      assert.equal(new Set(seen).size, subjectCount);
    });

    it('refuses a continuation it did not issue', async () => {
      const { status } = await getProfiles(token, '', { requestContinuation: 'garbage' });
      assert.equal(status, 400);
    });

    it('filters with updatedSince in every documented format', async () => {
      const all = await getProfiles(token, '?updatedSince=2000-01-01');
      assert.equal(all.status, 200);
      assert.equal(all.body.content.length, 20);

      const future = await getProfiles(token, '?updatedSince=2999-01-01T00:00:00');
      assert.equal(future.status, 200);
      assert.equal(future.body.empty, true);
      assert.equal(future.body.last, true);

      const since = new Date(Date.now() - 20_000);
      const recent = await getProfiles(token, `?size=50&updatedSince=${since.toISOString().slice(0, 19)}`);
      assert.equal(recent.status, 200);
      assert.ok(recent.body.content.length > 0 && recent.body.content.length < subjectCount);
      for (const profile of recent.body.content) {
        assert.ok(Date.parse(profile.LastUpdatedDate) >= Math.floor(since.getTime() / 1000) * 1000);
      }

      assert.equal((await getProfiles(token, '?updatedSince=yesterday')).status, 400);
    });
  });
});

describe('simulator OneTrust data subjects over time', () => {
  const clock = { now: () => Date.now(), scaled: (ms: number) => ms };
  const service = (subjects: number) =>
    createOneTrustService({ store: new Store(), clock, settings: simulatorSettings({ oneTrustSubjects: subjects }) });

  it('generates the same subjects from the same settings, and others from other settings', () => {
    const instant = new Date(Date.UTC(2026, 5, 1, 12, 0, 0));
    const first = service(200).profilesUpdatedBetween(undefined, instant);
    const second = service(200).profilesUpdatedBetween(undefined, instant);
    assert.equal(first.length, 200);
    assert.deepEqual(first, second);
    assert.notDeepEqual(service(201).profilesUpdatedBetween(undefined, instant).slice(0, 5), first.slice(0, 5));
  });

  it('returns every subject at first, then a steady trickle of a few updates per few seconds', () => {
    const oneTrust = service(120);
    const start = Date.UTC(2026, 5, 1, 12, 0, 0);
    assert.equal(oneTrust.profilesUpdatedBetween(undefined, new Date(start)).length, 120);

    const windows = Array.from({ length: 20 }, (_, index) => {
      const since = new Date(start + index * 3000);
      const until = new Date(start + (index + 1) * 3000);
      const updated = oneTrust.profilesUpdatedBetween(since, until);
      for (const profile of updated) {
        const at = Date.parse(profile.LastUpdatedDate);
        assert.ok(at > since.getTime() && at <= until.getTime(), 'each update lies inside its window');
      }
      return updated.length;
    });
    const total = windows.reduce((sum, count) => sum + count, 0);
    assert.ok(total >= 60 && total <= 240, `about two updates a second, got ${total} in 60 s`);
    assert.ok(windows.filter((count) => count === 0).length <= 2, `windows: ${windows.join(',')}`);
  });

  it('leaves most subjects unchanged for minutes, so a long pause between runs does not read them all', () => {
    const oneTrust = service(120);
    const start = Date.UTC(2026, 5, 1, 12, 0, 0);
    const changedWithin = (seconds: number) =>
      oneTrust.profilesUpdatedBetween(new Date(start), new Date(start + seconds * 1000)).length;
    assert.ok(changedWithin(120) < 60, `${changedWithin(120)} of 120 subjects changed in two minutes`);
    assert.ok(changedWithin(600) < 120, `${changedWithin(600)} of 120 subjects changed in ten minutes`);
    assert.equal(changedWithin(7 * 86_400), 120, 'every subject changes within a week');
  });

  it('returns the window oldest first and changes consent values between updates', () => {
    const oneTrust = service(30);
    const start = Date.UTC(2026, 5, 1, 12, 0, 0);
    const updates = oneTrust.profilesUpdatedBetween(new Date(start), new Date(start + 60_000));
    const times = updates.map((profile) => profile.LastUpdatedDate);
    assert.deepEqual(times, [...times].sort());

    const before = oneTrust.profilesUpdatedBetween(undefined, new Date(start));
    const after = oneTrust.profilesUpdatedBetween(undefined, new Date(start + 3_600_000));
    const changed = after.filter((profile) => {
      const earlier = before.find((candidate) => candidate.Id === profile.Id)!;
      return JSON.stringify(earlier.Purposes) !== JSON.stringify(profile.Purposes);
    });
    assert.ok(changed.length > 0, 'consent values move over time');
  });

  it('previews records exactly as the seed shows them: the page envelope around one subject in content', () => {
    const preview = service(50).explorePreview();
    assert.equal(preview.format, 'hierarchical');
    const schema = preview.schema as SchemaNode;
    assert.deepEqual(Object.keys(schema.properties!), [
      'number',
      'size',
      'numberOfElements',
      'last',
      'pageable',
      'sort',
      'content',
      'first',
      'empty',
    ]);
    assert.deepEqual(schema.properties!.number, {
      type: 'integer',
      minimum: -9007199254740992,
      maximum: 9007199254740991,
    });
    const purposeItem = schema.properties!.content!.properties!.Purposes!.items!;
    assert.deepEqual(purposeItem.properties!.LastUpdatedDate, {});
    assert.deepEqual(Object.keys(purposeItem.properties!.Topics!.items!.properties!), ['IsConsented', 'Id', 'Name']);

    const record = preview.data[0] as Record<string, unknown>;
    assert.deepEqual(Object.keys(record), [
      'number',
      'size',
      'numberOfElements',
      'last',
      'pageable',
      'sort',
      'content',
      'first',
      'empty',
    ]);
    assert.deepEqual(record.pageable, {
      limit: 100,
      offset: 0,
      sort: { sorted: true, unsorted: false, empty: false },
      tokenId: 100,
      pageSize: 100,
      pageNumber: 0,
      unpaged: false,
      paged: true,
    });
    // Every field the generator emits is one the schema declares.
    for (const entry of preview.data as Array<{ content: OneTrustProfile }>) {
      for (const field of Object.keys(entry.content))
        assert.ok(field in schema.properties!.content!.properties!, field);
      for (const purpose of entry.content.Purposes as Array<Record<string, unknown>>) {
        for (const field of Object.keys(purpose)) assert.ok(field in purposeItem.properties!, field);
      }
    }
  });
});

interface SchemaNode {
  type?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}
