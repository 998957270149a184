// The allocator the host uses for every tensor and workspace: AssemblyScript's TLSF heap
// (16-byte aligned blocks, freed blocks are reused). Kernels never allocate.

/** Allocates `bytes` bytes (16-byte aligned); grows memory as needed. */
export function alloc(bytes: usize): usize {
  return heap.alloc(bytes);
}

/** Returns a block from `alloc` to the heap. */
export function free(ptr: usize): void {
  heap.free(ptr);
}

/** Current size of linear memory in bytes. */
export function memoryBytes(): usize {
  return <usize>memory.size() << 16;
}
