// dynalite ships no types: the declaration lives with the core's testing helpers, which load it.
/// <reference path="../../packages/core/src/testing/dynalite.d.ts" />
