// The scripted project lives with the workload generators (core/workload/scenario.ts), since
// the shipped benchmark builds its chains with it; tests keep importing it from here.
export * from '../workload/scenario';
