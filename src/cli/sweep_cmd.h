// toymoe sweep and toymoe merge (see sweep_cmd.c).
#ifndef TM_SWEEP_CMD_H
#define TM_SWEEP_CMD_H
int cmd_sweep(int argc, char **argv);
int cmd_merge(int argc, char **argv);
#endif
