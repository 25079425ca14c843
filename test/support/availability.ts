// The one availability checker of the chaos, procedure and rollback tests lives in lab/
// (lockstep rehearse uses it too); the tests keep importing it from here.
export * from '../../lab/lab-availability.js';
