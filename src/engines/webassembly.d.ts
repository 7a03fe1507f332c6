// The part of the WebAssembly JS API this package uses. TypeScript declares it
// only in its DOM libraries, which would let browser globals into Node code.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports: object);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
}
type BufferSource = ArrayBufferView | ArrayBuffer;
