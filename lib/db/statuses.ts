// The values a status or kind column may hold (lib/db/schema.ts makes them its columns' enums).
export const jobStatuses = ['queued', 'processing', 'completed', 'failed'] as const;
export type JobStatus = (typeof jobStatuses)[number];
export const uploadKinds = ['cv', 'project'] as const;
export type UploadKind = (typeof uploadKinds)[number];
export const webhookEndpointStatuses = ['active', 'disabled', 'deleted'] as const;
export const deliveryStatuses = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];
