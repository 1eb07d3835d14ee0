// Loaded by mocha before any test file (see .mocharc.json).
// Keeps test logs quiet unless LOG_LEVEL asks for them.
process.env.LOG_LEVEL ??= 'silent';
