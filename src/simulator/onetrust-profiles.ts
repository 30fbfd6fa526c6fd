/**
 * Deterministic OneTrust data subjects that keep changing over time.
 *
 * Every subject has a fixed creation time and an update period (whole seconds). Its k-th update happens at
 * created + k * period, so at any instant its LastUpdatedDate and consent values follow from (subject, k)
 * alone: no history is stored and nothing depends on when the simulator started. Same settings, same instant
 * → same data. Periods scale with the number of subjects so that the whole population produces about two
 * updates per wall-clock second: a run window of a few seconds sees a few changes, the first read sees all.
 * Periods are spread log-uniformly over five orders of magnitude (5 s to 6 days with 120 subjects), as activity
 * is in a real consent base: a few subjects change all the time and most rarely, so a window of minutes (the
 * first run after the simulator was stopped for a while) sees part of the population, not all of it.
 */
import type { OneTrustProfile } from './context';

/** Subjects were created between these instants (whole seconds). */
const creationRangeStartMs = Date.UTC(2018, 0, 1);
const creationRangeSeconds = 3 * 365 * 24 * 3600;
/** The longest update period is this many times the shortest (ln ≈ 11.5). */
const periodRange = 100_000;
/** Mean number of subject updates per second across the whole population. */
const populationUpdatesPerSecond = 2;
/** With log-uniform periods from p to p·R, N subjects make N / (p · ln R) updates a second: solved for p. */
const shortestPeriodSecondsPerSubject = 1 / (populationUpdatesPerSecond * Math.log(periodRange));

const purposeStatuses = ['ACTIVE', 'ACTIVE', 'ACTIVE', 'ACTIVE', 'WITHDRAWN', 'EXPIRED', 'NO_CONSENT'] as const;
const languages = ['en-us', 'en-gb', 'fr-fr', 'de-de', 'es-es', 'it-it', 'nl-nl', 'pt-br', 'ja-jp'];
const firstNames = ['ada', 'alan', 'grace', 'linus', 'margaret', 'dennis', 'barbara', 'ken', 'frances', 'edsger'];
const lastNames = ['lovelace', 'turing', 'hopper', 'torvalds', 'hamilton', 'ritchie', 'liskov', 'thompson', 'allen'];
const countries = ['US', 'GB', 'FR', 'DE', 'ES', 'IT', 'NL', 'BR', 'JP'];
const emailDomains = ['example.com', 'example.org', 'example.net'];

interface PurposeDefinition {
  id: string;
  name: string;
  version: number;
  topics: Array<{ id: string; name: string }>;
  customPreferences: Array<{ id: string; name: string; options: Array<{ id: string; name: string }> }>;
}

interface SubjectPurpose {
  definition: PurposeDefinition;
  firstTransactionMs: number;
  /** Formatted once: dates are the costly part of building a profile. */
  firstTransactionDate: string;
  /** Share of the subject's updates that touch this purpose (drives TotalTransactionCount). */
  transactionShare: number;
}

/** The parts of a subject that never change. */
interface SubjectSkeleton {
  index: number;
  id: string;
  identifier: string;
  language: string;
  createdMs: number;
  createdDate: string;
  periodMs: number;
  testDataSubject: boolean;
  dataElements: Array<{ Name: string; Value: string }>;
  purposes: SubjectPurpose[];
}

export type ProfileSortField = 'id' | 'identifier' | 'createdDate' | 'lastModifiedDate' | 'lastTransactionDate';

export class OneTrustProfileGenerator {
  private readonly skeletons: SubjectSkeleton[];
  private readonly collectionPointIds: string[];

  constructor(readonly subjectCount: number) {
    const catalogRandom = seededRandom(hashNumbers(0x0e7a5, subjectCount));
    this.collectionPointIds = Array.from({ length: 5 }, () => randomUuid(catalogRandom));
    const purposeCatalog = createPurposeCatalog(catalogRandom);
    this.skeletons = Array.from({ length: subjectCount }, (_, index) =>
      createSkeleton(index, subjectCount, purposeCatalog),
    );
  }

  /** When subject `index` last changed at or before `atMs` (epoch ms). */
  lastUpdateMs(index: number, atMs: number): number {
    const skeleton = this.skeleton(index);
    if (atMs < skeleton.createdMs) return skeleton.createdMs;
    return skeleton.createdMs + Math.floor((atMs - skeleton.createdMs) / skeleton.periodMs) * skeleton.periodMs;
  }

  /** Indexes of subjects whose last update as of `untilMs` is after `sinceMs` (exclusive) and not after untilMs. */
  indexesUpdatedBetween(sinceMs: number | undefined, untilMs: number): number[] {
    const indexes: number[] = [];
    for (let index = 0; index < this.subjectCount; index += 1) {
      const updatedMs = this.lastUpdateMs(index, untilMs);
      if (updatedMs <= untilMs && (sinceMs === undefined || updatedMs > sinceMs)) indexes.push(index);
    }
    return indexes;
  }

  /** A comparable key for sorting subjects as of an instant; ties are broken by index by the caller. */
  sortKey(index: number, field: ProfileSortField, atMs: number): string | number {
    const skeleton = this.skeleton(index);
    switch (field) {
      case 'id':
        return skeleton.id;
      case 'identifier':
        return skeleton.identifier;
      case 'createdDate':
        return skeleton.createdMs;
      case 'lastModifiedDate':
      case 'lastTransactionDate':
        return this.lastUpdateMs(index, atMs);
    }
  }

  identifierOf(index: number): string {
    return this.skeleton(index).identifier;
  }

  /** The subject's profile as it stands at `atMs`. */
  profileAt(index: number, atMs: number): OneTrustProfile {
    const skeleton = this.skeleton(index);
    const updatedMs = this.lastUpdateMs(index, atMs);
    const updateCount = Math.round((updatedMs - skeleton.createdMs) / skeleton.periodMs);
    const touchedPurpose = updateCount === 0 ? -1 : hashNumbers(index, updateCount, 7) % skeleton.purposes.length;

    const purposes = skeleton.purposes.map((purpose, purposeIndex) => {
      const random = seededRandom(hashNumbers(index, updateCount, purposeIndex));
      // The touched purpose changed at this update; the others at some earlier update of this subject.
      const updatesAgo = purposeIndex === touchedPurpose ? 0 : 1 + Math.floor(random() * 40);
      const lastTransactionMs = Math.max(
        purpose.firstTransactionMs,
        updatedMs - Math.min(updatesAgo, updateCount) * skeleton.periodMs,
      );
      const status = pick(random, purposeStatuses);
      const consented = status === 'ACTIVE';
      const record: Record<string, unknown> = {
        Id: purpose.definition.id,
        Name: purpose.definition.name,
        Version: purpose.definition.version,
        Status: status,
        FirstTransactionDate: purpose.firstTransactionDate,
        LastTransactionDate: isoSeconds(lastTransactionMs),
      };
      if (status === 'WITHDRAWN') record.WithdrawalDate = isoSeconds(lastTransactionMs);
      if (status !== 'NO_CONSENT') record.ConsentDate = purpose.firstTransactionDate;
      if (status === 'EXPIRED') record.ExpiryDate = isoSeconds(lastTransactionMs);
      // Grows with every update but stays in the small range real subjects show.
      record.TotalTransactionCount = 1 + Math.floor(Math.log2(1 + updateCount * purpose.transactionShare));
      if (purpose.definition.topics.length > 0) {
        record.Topics = purpose.definition.topics.map((topic) => ({
          Id: topic.id,
          Name: topic.name,
          IsConsented: consented && random() < 0.7,
        }));
      }
      if (purpose.definition.customPreferences.length > 0) {
        record.CustomPreferences = purpose.definition.customPreferences.map((preference) => ({
          Id: preference.id,
          Name: preference.name,
          Options: preference.options.map((option) => ({
            Id: option.id,
            Name: option.name,
            IsConsented: consented && random() < 0.5,
          })),
        }));
      }
      record.LastTransactionCollectionPointId =
        this.collectionPointIds[hashNumbers(index, updateCount, purposeIndex, 3) % this.collectionPointIds.length];
      record.LastTransactionCollectionPointVersion = 1;
      return record;
    });

    return {
      Id: skeleton.id,
      Language: skeleton.language,
      Identifier: skeleton.identifier,
      LastUpdatedDate: isoSeconds(updatedMs),
      CreatedDate: skeleton.createdDate,
      DataElements: skeleton.dataElements.map((element) => ({ ...element })),
      Purposes: purposes,
      TestDataSubject: skeleton.testDataSubject,
    };
  }

  private skeleton(index: number): SubjectSkeleton {
    const skeleton = this.skeletons[index];
    if (!skeleton) throw new RangeError(`no OneTrust subject ${index}`);
    return skeleton;
  }
}

function createSkeleton(index: number, subjectCount: number, catalog: PurposeDefinition[]): SubjectSkeleton {
  const random = seededRandom(hashNumbers(0x5b1ec7, index));
  const id = randomUuid(random);
  const firstName = pick(random, firstNames);
  const lastName = pick(random, lastNames);
  const createdMs = creationRangeStartMs + Math.floor(random() * creationRangeSeconds) * 1000;
  const periodSeconds = Math.max(
    1,
    Math.round(subjectCount * shortestPeriodSecondsPerSubject * periodRange ** random()),
  );
  const purposeCount = 2 + Math.floor(random() * (catalog.length - 1));
  const chosen = shuffle(random, catalog).slice(0, purposeCount);
  return {
    index,
    id,
    // The index keeps identifiers unique however many subjects there are.
    identifier: `${firstName}.${lastName}.${index}@${pick(random, emailDomains)}`,
    language: pick(random, languages),
    createdMs,
    createdDate: isoSeconds(createdMs),
    periodMs: periodSeconds * 1000,
    testDataSubject: random() < 0.05,
    dataElements: [
      { Name: 'First Name', Value: capitalize(firstName) },
      { Name: 'Last Name', Value: capitalize(lastName) },
      { Name: 'Country', Value: pick(random, countries) },
    ],
    purposes: chosen.map((definition) => {
      const firstTransactionMs = createdMs + Math.floor(random() * 3600) * 1000;
      return {
        definition,
        firstTransactionMs,
        firstTransactionDate: isoSeconds(firstTransactionMs),
        transactionShare: 0.1 + random() * 0.9,
      };
    }),
  };
}

function createPurposeCatalog(random: () => number): PurposeDefinition[] {
  const topic = (name: string) => ({ id: randomUuid(random), name });
  const option = (name: string) => ({ id: randomUuid(random), name });
  return [
    {
      id: randomUuid(random),
      name: 'Marketing Emails',
      version: 3,
      topics: [topic('Weekly Digest'), topic('Promotions')],
      customPreferences: [],
    },
    {
      id: randomUuid(random),
      name: 'Product Newsletter',
      version: 1,
      topics: [topic('Release Notes')],
      customPreferences: [],
    },
    {
      id: randomUuid(random),
      name: 'Personalised Offers',
      version: 2,
      topics: [],
      customPreferences: [
        {
          id: randomUuid(random),
          name: 'Preferred Channel',
          options: [option('Email'), option('SMS'), option('Post')],
        },
      ],
    },
    { id: randomUuid(random), name: 'Partner Sharing', version: 1, topics: [], customPreferences: [] },
    {
      id: randomUuid(random),
      name: 'Research Surveys',
      version: 2,
      topics: [topic('Product Feedback')],
      customPreferences: [],
    },
    {
      id: randomUuid(random),
      name: 'SMS Notifications',
      version: 1,
      topics: [topic('Order Updates')],
      customPreferences: [{ id: randomUuid(random), name: 'Frequency', options: [option('Daily'), option('Weekly')] }],
    },
  ];
}

/** Formats like OneTrust: ISO 8601 UTC without milliseconds. */
export function isoSeconds(epochMs: number): string {
  return `${new Date(epochMs).toISOString().slice(0, 19)}Z`;
}

/** A 32-bit hash of a few integers (MurmurHash3's finaliser over a running mix). */
function hashNumbers(...values: number[]): number {
  let hash = 0x9e3779b9;
  for (const value of values) {
    hash = finalizeMix(hash ^ finalizeMix((value >>> 0) + Math.floor(value / 0x100000000)));
  }
  return hash;
}

function finalizeMix(input: number): number {
  let value = input >>> 0;
  value ^= value >>> 16;
  value = Math.imul(value, 0x85ebca6b);
  value ^= value >>> 13;
  value = Math.imul(value, 0xc2b2ae35);
  value ^= value >>> 16;
  return value >>> 0;
}

/** Mulberry32: a small, fast, seedable PRNG returning floats in [0, 1). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 0x100000000;
  };
}

function randomUuid(random: () => number): string {
  const bytes = Array.from({ length: 16 }, () => Math.floor(random() * 256));
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)] as T;
}

/** Fisher–Yates, so the order depends only on the random sequence, not on the engine's sort. */
function shuffle<T>(random: () => number, values: readonly T[]): T[] {
  const shuffled = [...values];
  for (let index = shuffled.length - 1; index > 0; index -= 1) {
    const other = Math.floor(random() * (index + 1));
    [shuffled[index], shuffled[other]] = [shuffled[other] as T, shuffled[index] as T];
  }
  return shuffled;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
