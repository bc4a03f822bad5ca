/**
 * True when A and B are the same type. `true satisfies Exact<A, B>;` pins our declarations to an upstream type (the
 * SDK's, the generated app-server protocol's): when they drift apart, that line fails to compile.
 */
export type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
