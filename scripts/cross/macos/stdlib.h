/* See assert.h. */
#ifndef PARLEY_STDLIB_H
#define PARLEY_STDLIB_H
#include <stddef.h>
void abort(void);
#endif
