#ifndef DOCKERCLOUD_CEDIT_H
#define DOCKERCLOUD_CEDIT_H
// libedit's readline (Debian: libedit-dev for the header, libedit2 at run time), opened with
// dlopen when a prompt is first shown, so that commands without prompts do not load it.

/// The answer to `prompt` with line editing (free() it), NULL at end of input. When libedit cannot
/// be loaded, `*unavailable` is set to 1 and NULL returned; the caller then reads a plain line.
char *dc_readline(const char *prompt, int *unavailable);

#endif
