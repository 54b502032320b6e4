/**
 * Typed AWS errors. Operations throw these anywhere; each protocol serializes them once
 * (JSON 1.1 `__type`, REST-JSON `x-amzn-ErrorType`, S3 XML `<Code>`).
 */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    /** Extra members modelled on the error shape (e.g. ResourceId, ResourceType). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = code;
  }
}

// SageMaker (JSON 1.1) — every modelled error is a client fault answered with 400.
export const validation = (message: string) => new AwsError('ValidationException', message);
export const resourceNotFound = (message: string) => new AwsError('ResourceNotFound', message);
export const resourceInUse = (message: string) => new AwsError('ResourceInUse', message);
export const resourceLimitExceeded = (message: string) => new AwsError('ResourceLimitExceeded', message);
export const conflict = (message: string) => new AwsError('ConflictException', message);
export const serialization = (message: string) => new AwsError('SerializationException', message);
export const unknownOperation = () => new AwsError('UnknownOperationException', '', 400);
export const internalFailure = () =>
  new AwsError('InternalFailure', 'The request processing has failed because of an unknown error, exception or failure.', 500);

// Authentication (AWS's wording for JSON services).
export const missingAuthToken = () =>
  new AwsError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
export const unrecognizedClient = () =>
  new AwsError('UnrecognizedClientException', 'The security token included in the request is invalid.', 403);
export const incompleteSignature = (message: string) => new AwsError('IncompleteSignatureException', message, 403);
export const invalidSignature = (
  message = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
) => new AwsError('InvalidSignatureException', message, 403);
