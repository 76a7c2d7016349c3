/* Stand-in C headers for type-checking the desktop shell for macOS on Linux:
 * ring's C needs only these declarations; nothing built with them is linked. */
#ifndef PARLEY_ASSERT_H
#define PARLEY_ASSERT_H
#define assert(e) ((void)0)
#ifndef __cplusplus
#define static_assert _Static_assert
#endif
#endif
