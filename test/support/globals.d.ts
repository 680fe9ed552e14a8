// Tests read arbitrary JSON answers and index into them freely; production code never does.
declare global {
  interface Response {
    // biome-ignore lint/suspicious/noExplicitAny: test assertions check the shape at run time
    json(): Promise<any>;
  }
}

export {};
