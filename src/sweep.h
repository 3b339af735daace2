// The paper's many-model experiments (SPEC section 7) as deterministic job
// lists: every job is one model (a grid cell and a run) with its own config
// and seed, so any subset can be trained anywhere and merged afterwards.
#ifndef TM_SWEEP_H
#define TM_SWEEP_H
#include "toymoe.h"
#include <stdint.h>

// Jobs in a preset ("fig3", "fig4", "table1") at a fidelity ("quick", "paper"); -1 on error.
int32_t tm_sweep_jobs(const char *preset, const char *fidelity);
// One job as JSON: {"preset","fidelity","job","cell","run","arch","x","y","seed","config":{...}}.
// The returned text lives until the next call.
const char *tm_sweep_job_json(const char *preset, const char *fidelity, int32_t job);
// A trained model of that preset, summarised as flat JSON members of numbers
// (no braces): "final_loss":...,"fpd":...; the text lives until the next call.
const char *tm_sweep_summary_json(tm_model *m, const char *preset, int32_t samples);
#endif
