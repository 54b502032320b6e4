/**
 * The state repository. Operation code talks only to this interface; `sqlite/` is the
 * embedded default and a PostgreSQL implementation can sit beside it. Every method is
 * atomic on its own; `update` runs its (synchronous, pure) mutation under the row's lock.
 */
export interface Scope {
  account: string;
  region: string;
}

export interface Resource<T = unknown> {
  kind: string;
  /** The name as the user wrote it. Look-ups are case-insensitive, as SageMaker's are. */
  name: string;
  arn: string;
  /** Epoch milliseconds. */
  createdAt: number;
  modifiedAt: number;
  status?: string;
  /** Optional grouping key (e.g. the model package group of a version). */
  parent?: string;
  data: T;
}

export type SortKey = 'name' | 'created' | 'modified' | 'status';

export interface ListQuery {
  nameContains?: string;
  createdAfter?: number;
  createdBefore?: number;
  modifiedAfter?: number;
  modifiedBefore?: number;
  status?: string;
  parent?: string;
  sortBy: SortKey;
  descending: boolean;
  limit: number;
  /** Opaque cursor from a previous page (already checked by `decodeCursor`). */
  after?: Cursor;
  /** Only the row's columns (name, arn, times, status, parent) are needed: `data` is left undefined. */
  summary?: boolean;
}

/** Keyset position: the last row's sort value and name key. */
export interface Cursor {
  v: string | number;
  n: string;
}

export interface Page<T> {
  items: Resource<T>[];
  next?: Cursor;
}

export interface Tag {
  Key: string;
  Value: string;
}

/**
 * One entry of a durable FIFO queue (asynchronous invocations: one queue per endpoint).
 * Entries are ordered by `seq`, which the store assigns on `enqueue`: strictly increasing
 * across the whole store and never reused, so it is the arrival order.
 */
export interface QueueEntry<T = unknown> {
  seq: number;
  queue: string;
  /** Epoch milliseconds (the caller's clock) when the entry was accepted. */
  enqueuedAt: number;
  /** Set while a worker has taken the entry (epoch milliseconds); undefined while it waits. */
  startedAt?: number;
  data: T;
}

export interface Store {
  /**
   * Inserts a new resource, and its initial tags in the same transaction (a create that
   * is refused leaves no tags behind); false when one of that kind and name exists in the
   * scope.
   */
  insert<T>(scope: Scope, row: Resource<T>, tags?: Tag[]): Promise<boolean>;
  get<T>(scope: Scope, kind: string, name: string): Promise<Resource<T> | undefined>;
  /**
   * Reads, mutates and writes one row atomically. `mutate` returns the new row or
   * undefined to leave it unchanged; it may throw to abort (nothing is written).
   */
  update<T>(
    scope: Scope,
    kind: string,
    name: string,
    mutate: (row: Resource<T>) => Resource<T> | undefined,
  ): Promise<Resource<T> | undefined>;
  /** Deletes a resource and its tags; false when it did not exist. */
  delete(scope: Scope, kind: string, name: string): Promise<boolean>;
  list<T>(scope: Scope, kind: string, query: ListQuery): Promise<Page<T>>;
  /** All resources of a kind (for controllers resuming after a restart). */
  scan<T>(kind: string): Promise<Array<Resource<T> & Scope>>;
  /** Next value of a named counter, starting at 1 (e.g. model package versions). */
  nextSequence(scope: Scope, name: string): Promise<number>;

  /**
   * Adds or overwrites tags atomically; refuses with `TagLimitError` (nothing written)
   * when the resource would hold more than `max` tags in total.
   */
  addTags(arn: string, tags: Tag[], max: number): Promise<void>;
  /** Tags in the order they were first added. */
  listTags(arn: string): Promise<Tag[]>;
  deleteTags(arn: string, keys: string[]): Promise<void>;

  /**
   * Appends an entry to a queue and returns it with its `seq`. Durable once the promise
   * resolves: an acknowledged entry survives a crash.
   */
  enqueue<T>(scope: Scope, queue: string, enqueuedAt: number, data: T): Promise<QueueEntry<T>>;
  /** The entries of one queue in arrival order. */
  queueEntries<T>(scope: Scope, queue: string): Promise<QueueEntry<T>[]>;
  /** The entries of every queue in every scope, in arrival order (for workers resuming after a restart). */
  scanQueues<T>(): Promise<Array<QueueEntry<T> & Scope>>;
  /** Marks an entry taken (`startedAt`) or back to waiting (undefined); false when it is gone. */
  markQueueEntry(seq: number, startedAt: number | undefined): Promise<boolean>;
  /** Removes one entry (its outcome is recorded); false when it was already gone. */
  dequeue(seq: number): Promise<boolean>;
  /** Removes every entry of a queue (its endpoint was deleted); how many there were. */
  dropQueue(scope: Scope, queue: string): Promise<number>;

  close(): void;
}

/** Thrown by `addTags` (and nothing written) when tags would exceed the limit. */
export class TagLimitError extends Error {
  constructor(readonly total: number) {
    super(`tag limit exceeded: ${total}`);
  }
}
