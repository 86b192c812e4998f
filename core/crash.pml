/* Crash modelling shared by memchan's Promela models (core/tlock.pml, channel/*.pml).
 *
 * A model defines NPROC (process slots, at most 4) and MAXCRASH (deaths in a run, at most 7)
 * before including this file. Every modelled process runs its body as
 *
 *   restart: { ...body... } unless { dead[me] };  repair_and_restart;  goto restart
 *
 * and the killer below may set dead[p] of any running process between any two of its steps:
 * the process stops there (spin takes the escape before its next statement), what it wrote
 * to shared state stays, and a replacement process with a new token starts in its slot, as
 * a restarted memchan process would. An `atomic` step of a model is one atomic instruction
 * of the C code (a load, a store, a CAS, a fetch-add): nothing dies half-way through one.
 *
 * Tokens: a process token names a slot and an incarnation, like pid + start time: a token of
 * a dead incarnation never names a live process again (the liveness oracle, ALIVE). */
#ifndef MC_CRASH_PML
#define MC_CRASH_PML

byte inc[NPROC];     /* incarnation of each slot: bumped by every restart */
bool dead[NPROC];    /* killed, its replacement not yet started */
bool running[NPROC]; /* the slot's process exists and has work left: it may be killed */
byte crashes;        /* deaths so far */

#define BIT(p)    (1 << (p))
#define TOKEN(p)  ((p) * 8 + inc[p] + 1)
#define TSLOT(t)  (((t) - 1) / 8)
/* pid + start time names a live process: this slot, this incarnation, not killed. Any other
   value (0, a past incarnation, a number naming no slot) is a dead owner. */
#define ALIVE(t)  ((t) != 0 && (t) <= NPROC * 8 && inc[TSLOT(t)] == ((t) - 1) % 8 && \
                   !dead[TSLOT(t)])

#ifndef KILLABLE
#define KILLABLE(p) 1
#endif

/* Kills one running process at any moment, at most MAXCRASH times in a run. */
active proctype killer() {
  byte v;
end:
  do
  :: atomic {
       crashes < MAXCRASH ->
       v = 0;
       do
       :: v < NPROC - 1 -> v++
       :: break
       od;
       if
       :: running[v] && !dead[v] && KILLABLE(v) -> dead[v] = 1; crashes++
       :: else -> skip
       fi;
       v = 0
     }
  od
}

/* The first steps of a replacement: a new incarnation (a new token) in the dead one's slot. */
#define REINCARNATE(me) dead[me] = 0; inc[me]++

#endif
