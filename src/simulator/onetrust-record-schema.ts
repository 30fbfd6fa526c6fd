/**
 * The JSON schema of one OneTrust source record as AEP's explore preview reports it (the seed tutorial's
 * `schema`): the OneTrust page envelope with a single data subject in `content`. Property order, the empty
 * `{}` schemas and the JavaScript safe-integer bounds follow the seed exactly.
 */

const integer = () => ({ type: 'integer', minimum: -9007199254740992, maximum: 9007199254740991 });
const boolean = () => ({ type: 'boolean' });
const string = () => ({ type: 'string' });
const objectOf = (properties: Record<string, unknown>) => ({ type: 'object', properties });
const arrayOf = (items: unknown) => ({ type: 'array', items });

const sortSchema = () => objectOf({ unsorted: boolean(), sorted: boolean(), empty: boolean() });

export function oneTrustRecordSchema(): Record<string, unknown> {
  return objectOf({
    number: integer(),
    size: integer(),
    numberOfElements: integer(),
    last: boolean(),
    pageable: objectOf({
      paged: boolean(),
      pageNumber: integer(),
      offset: integer(),
      tokenId: integer(),
      limit: integer(),
      pageSize: integer(),
      unpaged: boolean(),
      sort: sortSchema(),
    }),
    sort: sortSchema(),
    content: objectOf({
      LastUpdatedDate: string(),
      Identifier: string(),
      Language: string(),
      TestDataSubject: boolean(),
      CreatedDate: string(),
      DataElements: arrayOf(objectOf({})),
      Id: string(),
      Purposes: arrayOf(
        objectOf({
          Status: string(),
          LastTransactionDate: string(),
          CustomPreferences: arrayOf(objectOf({})),
          LastUpdatedDate: {},
          ExpiryDate: {},
          Topics: arrayOf(objectOf({ IsConsented: boolean(), Id: string(), Name: string() })),
          TotalTransactionCount: integer(),
          LastReceiptId: {},
          ConsentDate: string(),
          LastInteractionDate: {},
          Name: string(),
          FirstTransactionDate: string(),
          LastTransactionCollectionPointId: string(),
          LastTransactionCollectionPointVersion: integer(),
          Version: integer(),
          attributes: objectOf({}),
          Id: string(),
          PurposeNote: {},
          WithdrawalDate: string(),
        }),
      ),
    }),
    first: boolean(),
    empty: boolean(),
  });
}
