// Reads who holds a channel's lock, and nothing else: one consistent GetItem, so that a step that only
// needs to know whether its incident still holds the lock is granted dynamodb:GetItem and no write.
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LedgerItem } from '../contracts.js';
import { defaultItem } from './rules.js';

export type LockView = Pick<LedgerItem, 'incidentId' | 'phase' | 'lockExpiresAt' | 'onAir'>;
export type LockReader = (channelId: string) => Promise<LockView>;

export function lockReader(client: DynamoDBDocumentClient, tableName: string): LockReader {
  return async (channelId) => {
    const out = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: { channelId },
        ConsistentRead: true,
        ProjectionExpression: '#incidentId, #phase, #lockExpiresAt, #onAir',
        ExpressionAttributeNames: { '#incidentId': 'incidentId', '#phase': 'phase', '#lockExpiresAt': 'lockExpiresAt', '#onAir': 'onAir' },
      }),
    );
    return { ...defaultItem(channelId), ...(out.Item as Partial<LockView> | undefined) };
  };
}
