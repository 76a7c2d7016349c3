/* Stand-in for the macOS SDK's TargetConditionals.h, so ring's C code can
 * be compiled while the desktop shell is only type-checked for
 * aarch64-apple-darwin on Linux (scripts/test). Nothing is linked with it. */
#ifndef PARLEY_TARGET_CONDITIONALS_H
#define PARLEY_TARGET_CONDITIONALS_H
#define TARGET_OS_MAC 1
#define TARGET_OS_OSX 1
#define TARGET_OS_IPHONE 0
#define TARGET_OS_IOS 0
#define TARGET_OS_TV 0
#define TARGET_OS_WATCH 0
#define TARGET_OS_VISION 0
#define TARGET_OS_SIMULATOR 0
#define TARGET_OS_EMBEDDED 0
#endif
