/* SPDX-License-Identifier: MIT */
/*
 * A renamed copy of the interpreter (translator, run loop, entry) for interp_bench: compiled once per
 * variant with -DVARIANT=_<name> and the variant's switch:
 *   _count     EMU_INTERP_COUNT: counts the instructions a run executes (emu_interp_count)
 *   _nocache   EMU_MEM_NO_FAST: every checked access takes mem.c's slow path
 *   _switch    EMU_INTERP_SWITCH: the portable switch dispatch instead of computed goto
 *   _nofuse    EMU_NO_FUSE: no superinstructions (fuse.c)
 * Images of a variant run only on that variant's run loop (they hold its handler addresses).
 */
#ifndef VARIANT
#error "compile with -DVARIANT=_name"
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define emu_prog_translate CAT(emu_prog_translate, VARIANT)
#define emu_prog_image_free CAT(emu_prog_image_free, VARIANT)
#define emu_prog_image_len CAT(emu_prog_image_len, VARIANT)
#define emu_interp_labels CAT(emu_interp_labels, VARIANT)
#define emu_prog_run CAT(emu_prog_run, VARIANT)
#define emu_run_callback CAT(emu_run_callback, VARIANT)
#define emu_run_abort CAT(emu_run_abort, VARIANT)
#define emu_run_loop CAT(emu_run_loop, VARIANT)

#include "prog/xlate.c"
#include "prog/run.c"
#include "prog/entry.c"
