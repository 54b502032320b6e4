
export class LocalObjectStore {
  constructor(readonly root: string) {}
}
