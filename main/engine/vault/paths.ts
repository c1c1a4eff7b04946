// Vault API paths as users write them: with or without leading and trailing slashes.
export const trimSlashes = (path: string) => path.replace(/^\/+|\/+$/g, '')
