// Loaded into a baseline server by profile-floor.ts --prof (node --import): these servers have no
// SIGTERM handler of their own, and node --cpu-prof writes its profile only on a regular exit.
process.on('SIGTERM', () => process.exit(0));
