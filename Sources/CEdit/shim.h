// libedit's readline interface (Debian: libedit-dev), for prompts with line editing.
#include <stdio.h>
#include <editline/readline.h>
