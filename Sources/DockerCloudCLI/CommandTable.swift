// The ONE command table of docker-cloud: every noun, verb, positional and option, with help text.
// Transcribed from docker-cloud 1.0.9 (same names, short forms, defaults and choices), plus the
// additions listed at the end of this comment.
//
// Source: Appendix A of shared/reference/docker-cloud-1.0.9.md (the live argparse tree), checked against
// shared/reference/help/*.txt. Order of nouns, verbs and options is the original registration order.
// Mapping: Store -> .value, Append -> .append, StoreTrue/Version -> .flag, type int -> integer: true,
// nargs 1 -> .one, + -> .oneOrMore, ... (REMAINDER) -> .remainder; `dest` only where it differs from the
// long name; the original's only non-None default is `action ls -l` (25).
//
// A service's definition options (`serviceDefinition`, declared once for run, service create/run/set)
// carry the API attribute each sets (`sets:`); ServiceInput builds the request bodies from them alone.
// `service set --no-privileged/--no-autoredeploy/--no-sequential` are StoreFalse onto the dest of
// `--privileged/--autoredeploy/--sequential` (tri-state, default None): `Option.negation`.
// `nodecluster az/nodetype/region` have no description (`description: ""`); `nodecluster`'s verbs are
// titled "Docker Cloud node commands", as in the original.
//
// Additions beyond the original, each marked `addition: true` (help shows them as extra lines only;
// HelpReferenceTests holds every other line to shared/reference/help byte for byte):
// - `-o/--format FORMAT` on every list command (ls/ps and nodecluster az/nodetype/provider/region) and every
//   inspect command;
// - aliases: `ps` verbs also answer to `ls` and `list`; `ls` verbs to `list` and `ps`;
// - `--no-autoredeploy`, `--no-privileged`, `--no-sequential` on run, service create/run (set had them);
// - `--timeout SECONDS` after every `--sync`;
// - `--password-stdin` on `repository register` and `repository update`;
// - `--reschedule`/`--no-reschedule` on run, service create/run/set (docker-cloud-server's lost-node setting);
// - `--nodecluster NAME` on `node byo` (a token for a byon node cluster);
// - the container verbs of the engine, as the docker CLI has them (`containerEngineVerbs`): `container attach,
//   cp, diff, export, kill, pause, rename, restart, stats, top, unpause, update, wait`;
// - the top-level verbs `version` and `completion bash|zsh`, the verb `trigger call URL`, and the hidden
//   `__complete KIND` that completions call for live names, and `__man DIR` behind `make man`.
//
// Transcribed mechanically from Appendix A (help texts checked verbatim); edit by hand from now on.

public let commandTable = Command(
    "docker-cloud",
    summary: "Docker Cloud CLI",
    options: [
        Option("version", short: "v", kind: .flag, help: "show program's version number and exit"),
        Option("debug", kind: .flag, help: "Print debug logging (HTTP requests and responses) to stderr", hidden: true),
    ],
    subcommands: [
        CommandTableParts.action,
        CommandTableParts.container,
        CommandTableParts.event,
        CommandTableParts.exec,
        CommandTableParts.login,
        CommandTableParts.node,
        CommandTableParts.nodecluster,
        CommandTableParts.repository,
        CommandTableParts.run,
        CommandTableParts.service,
        CommandTableParts.stack,
        CommandTableParts.tag,
        CommandTableParts.trigger,
        CommandTableParts.up,
        Command("version", summary: "Show the docker-cloud version", addition: true),
        Command("completion", summary: "Print the bash or zsh completion script",
                description: "Prints the completion script for the shell, generated from the command table. Load it with: source <(docker-cloud completion bash)",
                positionals: [Positional("shell", help: "The shell: bash or zsh", choices: ["bash", "zsh"])], addition: true),
        Command("__complete", summary: "Names of a kind of object, one per line, for shell completion (quiet and quick)",
                positionals: [
                    Positional("kind", help: "What to list", choices: Completion.liveKinds.map(\.rawValue)),
                    Positional("context", .optional, help: "The service whose triggers to list"),
                ],
                hidden: true),
        Command("__man", summary: "Write the man pages, generated from this table, into a directory (make man)",
                positionals: [Positional("directory", help: "Where to write docker-cloud.1 and docker-cloud-NOUN.1")],
                hidden: true),
    ]
)

/// The top-level nouns and verbs, one constant each, in registration order.
private enum CommandTableParts {
    static let action = Command(
        "action",
        summary: "Action-related operations",
        subcommands: [
            Command(
                "cancel",
                summary: "Cancel an action in Pending or In progress state",
                description: "Cancels an action in Pending or In progress state",
                positionals: [
                    actionIdentifiers,
                ]
            ),
            Command(
                "inspect",
                summary: "Get all details from an action",
                options: [
                    formatOption,
                ],
                positionals: [
                    actionIdentifiers,
                ]
            ),
            Command(
                "logs",
                summary: "Get logs from an action",
                options: logOptions,
                positionals: [
                    actionIdentifiers,
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List actions",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only action uuid"),
                    Option("last", short: "l", defaultValue: "25", help: "Output the last number of actions (default:25)", integer: true),
                    formatOption,
                ]
            ),
            Command(
                "retry",
                summary: "Retries an action in Success, Failed or Canceled state",
                positionals: [
                    actionIdentifiers,
                ]
            ),
        ]
    )

    static let container = Command(
        "container",
        summary: "Container-related operations",
        subcommands: [
            Command(
                "exec",
                summary: "Run a command in a running container",
                positionals: [
                    Positional("identifier", help: "Container's UUID (either long or short) or name[.stack_name]", completion: .container),
                    Positional("command", .remainder, help: "The command to run (default: sh)"),
                ]
            ),
            Command(
                "inspect",
                summary: "Inspect a container",
                options: [
                    formatOption,
                ],
                positionals: [
                    containerIdentifiers,
                ]
            ),
            Command(
                "logs",
                summary: "Get logs from a container",
                options: logOptions,
                positionals: [
                    containerIdentifiers,
                ]
            ),
            Command(
                "redeploy",
                summary: "Redeploy a running container",
                options: [
                    Option("not-reuse-volumes", kind: .flag, help: "Do not reuse volumes in redeployment"),
                ] + syncOptions,
                positionals: [
                    containerIdentifiers,
                ]
            ),
            Command(
                "ps",
                aliases: ["ls", "list"],
                summary: "List containers",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only long UUIDs"),
                    Option("status", short: "s", choices: ["Init", "Stopped", "Starting", "Running", "Stopping", "Terminating", "Terminated"], help: "Filter containers by status"),
                    Option("service", help: "Filter containers by service (UUID either long or short, or name)", completion: .service),
                    Option("no-trunc", kind: .flag, help: "Don't truncate output"),
                    formatOption,
                ]
            ),
            Command(
                "start",
                summary: "Start a container",
                options: syncOptions,
                positionals: [
                    containerIdentifiers,
                ]
            ),
            Command(
                "stop",
                summary: "Stop a container",
                options: syncOptions,
                positionals: [
                    containerIdentifiers,
                ]
            ),
            Command(
                "terminate",
                summary: "Terminate a container",
                options: syncOptions,
                positionals: [
                    containerIdentifiers,
                ]
            ),
        ] + containerEngineVerbs
    )

    /// The container verbs beyond 1.0.9: the engine's operations, as the docker CLI names them
    /// (they need a server whose nodes run a Docker engine).
    static let containerEngineVerbs = [
        Command(
            "attach",
            summary: "Attach to a running container's input and output",
            description: "Attach to a running container's output, and its input if it keeps one open",
            options: [
                Option("no-stdin", kind: .flag, help: "Do not attach standard input"),
            ],
            positionals: [
                containerIdentifier,
            ],
            addition: true
        ),
        Command(
            "cp",
            summary: "Copy files or folders between a container and the local filesystem",
            positionals: [
                Positional("source", help: "CONTAINER:SRC_PATH, or a local SRC_PATH (- reads a tar archive from stdin)", completion: .file),
                Positional("destination", help: "CONTAINER:DEST_PATH, or a local DEST_PATH (- writes a tar archive to stdout)", completion: .file),
            ],
            addition: true
        ),
        Command(
            "diff",
            summary: "Show changes to files in a container's filesystem",
            description: "List the container's changed files: A (added), C (changed), D (deleted)",
            options: [
                formatOption,
            ],
            positionals: [
                containerIdentifier,
            ],
            addition: true
        ),
        Command(
            "export",
            summary: "Export a container's filesystem as a tar archive",
            description: "Export a container's filesystem as a tar archive (never to a terminal)",
            options: [
                Option("output", short: "o", metavar: "FILE", help: "Write to a file, instead of stdout", completion: .file),
            ],
            positionals: [
                containerIdentifier,
            ],
            addition: true
        ),
        Command(
            "kill",
            summary: "Send a signal to running containers",
            options: [
                Option("signal", short: "s", help: "Signal to send to the container, by name or number (default: SIGKILL)"),
            ],
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "pause",
            summary: "Pause all processes within containers",
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "rename",
            summary: "Rename a container",
            positionals: [
                containerIdentifier,
                Positional("new_name", help: "The container's new name"),
            ],
            addition: true
        ),
        Command(
            "restart",
            summary: "Restart running containers",
            options: syncOptions,
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "stats",
            summary: "Display a live stream of containers' resource usage",
            options: [
                Option("no-stream", kind: .flag, help: "Print one sample per container and exit"),
                formatOption,
            ],
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "top",
            summary: "Display the running processes of a container",
            options: [
                formatOption,
            ],
            positionals: [
                containerIdentifier,
                Positional("ps_options", .remainder, help: "Options for ps (default: -ef)"),
            ],
            addition: true
        ),
        Command(
            "unpause",
            summary: "Unpause all processes within containers",
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "update",
            summary: "Update the resource limits of running containers",
            options: [
                cpusharesOption,
                memoryOption,
                Option("memory-swap", metavar: "MEMORY_SWAP", help: "Memory plus swap limit in MB (-1: unlimited swap)", integer: true),
                Option("cpuset", metavar: "CPUS", help: "CPUs in which to allow execution (0-3, 0,1)"),
            ],
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
        Command(
            "wait",
            summary: "Block until containers stop, then print their exit codes",
            positionals: [
                containerIdentifiers,
            ],
            addition: true
        ),
    ]

    static let event = Command(
        "event",
        summary: "Get real time Docker Cloud events"
    )

    static let exec = Command(
        "exec",
        summary: "Run a command in a running container",
        positionals: [
            Positional("identifier", help: "The container's UUID (either long or short) or name", completion: .container),
            Positional("command", .remainder, help: "The command to run (default: sh)"),
        ]
    )

    static let login = Command(
        "login",
        summary: "Please use \"docker login\" to log into Docker Cloud"
    )

    static let node = Command(
        "node",
        summary: "Node-related operations",
        subcommands: [
            Command(
                "byo",
                summary: "Instructions on how to Bring Your Own server to Docker Cloud",
                options: [
                    Option("nodecluster", metavar: "NAME", help: "Have the server join it to this node cluster of provider byon (name or uuid)",
                           completion: .nodecluster, addition: true),
                ]
            ),
            Command(
                "inspect",
                summary: "Inspect a node",
                options: [
                    formatOption,
                ],
                positionals: [
                    nodeIdentifiers,
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List nodes",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only node uuid"),
                    formatOption,
                ]
            ),
            Command(
                "rm",
                summary: "Remove a node",
                description: "Remove a container",
                options: syncOptions,
                positionals: [
                    nodeIdentifiers,
                ]
            ),
            Command(
                "upgrade",
                summary: "Upgrade docker daemon on the node",
                description: "Upgrade docker daemon to the latest version on the node",
                options: syncOptions,
                positionals: [
                    nodeIdentifiers,
                ]
            ),
        ]
    )

    static let nodecluster = Command(
        "nodecluster",
        summary: "NodeCluster-related operations",
        subcommands: [
            Command(
                "az",
                summary: "Show all available availability zones",
                description: "",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only availability zone name"),
                    formatOption,
                ]
            ),
            Command(
                "create",
                summary: "Create a nodecluster",
                options: [
                    Option("target-num-nodes", short: "t", help: "The target number of nodes to run for this cluster (default: 1)", integer: true),
                ] + syncOptions + [
                    Option("disk", help: "Disk size of node in GB(Default:60). The available value varies depending on the providers"),
                    Option("tag", kind: .append, help: "Set the tag of the node cluster"),
                    Option("aws-vpc-id", help: "AWS provider option: vpc id"),
                    Option("aws-vpc-subnet", kind: .append, help: "AWS provider option: vpc subnet"),
                    Option("aws-vpc-security-group", kind: .append, help: "AWS provider option: vpc security group"),
                    Option("aws-iam-instance-profile-name", help: "AWS provider option: instance profile name for the iam"),
                ],
                positionals: [
                    Positional("name", help: "Name of the node cluster to create"),
                    Positional("provider", help: "Name of the provider"),
                    Positional("region", help: "Name of the region"),
                    Positional("nodetype", help: "Name of the node type"),
                ]
            ),
            Command(
                "inspect",
                summary: "Inspect a nodecluster",
                options: [
                    formatOption,
                ],
                positionals: [
                    Positional("identifier", .oneOrMore, help: "Node's UUID (either long or short)", completion: .nodecluster),
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List node clusters",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only node uuid"),
                    formatOption,
                ]
            ),
            Command(
                "nodetype",
                summary: "Show all available types",
                description: "",
                options: [
                    Option("provider", short: "p", help: "Filtered by provider name (e.g. digitalocean)"),
                    Option("region", short: "r", help: "Filtered by region name (e.g. ams1)"),
                    formatOption,
                ]
            ),
            Command(
                "provider",
                summary: "Show all available infrastructure providers",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only provider name"),
                    formatOption,
                ]
            ),
            Command(
                "region",
                summary: "Show all available regions",
                description: "",
                options: [
                    Option("provider", short: "p", help: "Filtered by provider name (e.g. digitalocean)"),
                    formatOption,
                ]
            ),
            Command(
                "rm",
                summary: "Remove node clusters",
                options: syncOptions,
                positionals: [
                    Positional("identifier", .oneOrMore, help: "Node's UUID (either long or short)", completion: .nodecluster),
                ]
            ),
            Command(
                "scale",
                summary: "Scale a running node cluster",
                options: syncOptions,
                positionals: [
                    Positional("identifier", .oneOrMore, help: "Node cluster's UUID (either long or short) or name", completion: .nodecluster),
                    Positional("target-num-nodes", help: "Target number of nodes to scale this node cluster to", integer: true),
                ]
            ),
        ],
        commandsTitle: "Docker Cloud node commands"
    )

    static let repository = Command(
        "repository",
        summary: "Repository-related operations",
        subcommands: [
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List all registered external repositories",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only repository names"),
                    formatOption,
                ]
            ),
            Command(
                "inspect",
                summary: "Inspect an external repository",
                options: [
                    formatOption,
                ],
                positionals: [
                    Positional("identifier", .oneOrMore, help: "Repository name", completion: .repository),
                ]
            ),
            Command(
                "register",
                summary: "Register an external repository in Docker Cloud",
                options: [
                    Option("username", short: "u", help: "Username to authenticate with the external registry"),
                    Option("password", short: "p", help: "Password to authenticate with the external registry"),
                    passwordStdinOption,
                ],
                positionals: [
                    Positional("repository_name", help: "Full repository name, i.e. quay.io/docker/test-repo"),
                ]
            ),
            Command(
                "rm",
                summary: "Remove an external repository from Docker Cloud",
                positionals: [
                    Positional("repository_name", .oneOrMore, help: "Full repository name, i.e. quay.io/docker/test-repo", completion: .repository),
                ]
            ),
            Command(
                "update",
                summary: "Update a registered repository in Docker Cloud",
                options: [
                    Option("username", short: "u", help: "New username to authenticate with the external registry"),
                    Option("password", short: "p", help: "New password to authenticate with the external registry"),
                    passwordStdinOption,
                ],
                positionals: [
                    Positional("repository_name", .oneOrMore, help: "Full repository name, i.e. quay.io/docker/test-repo", completion: .repository),
                ]
            ),
        ]
    )

    /// `--format` on every list and inspect command.
    /// Keeps the registry password out of the process list (unlike -p).
    static let passwordStdinOption = Option("password-stdin", kind: .flag, help: "Read the password from standard input (one line), so that it does not show in the process list", addition: true)
    static let formatOption = Option("format", short: "o", metavar: "FORMAT", help: "Output format: table (default), json, or a template such as '{{.name}}\\t{{.state}}'", addition: true)

    /// Identifier positionals that many verbs share.
    static let actionIdentifiers = Positional("identifier", .oneOrMore, help: "Action's UUID (either long or short)", completion: .action)
    static let containerIdentifiers = Positional("identifier", .oneOrMore, help: "Container's UUID (either long or short) or name[.stack_name]", completion: .container)
    static let nodeIdentifiers = Positional("identifier", .oneOrMore, help: "Node's UUID (either long or short)", completion: .node)
    static let serviceIdentifiers = Positional("identifier", .oneOrMore, help: "Service's UUID (either long or short) or name[.stack_name]", completion: .service)
    static let stackIdentifiers = Positional("identifier", .oneOrMore, help: "Stack's UUID (either long or short) or name", completion: .stack)
    static let taggableIdentifiers = Positional("identifier", .oneOrMore, help: "UUID or name of services, nodes or nodeclusters")
    static let triggerServiceIdentifier = Positional("identifier", help: "UUID or name of services", completion: .service)

    /// Resource limits: of a new service (`run`, `service create/run/set`) and of a running
    /// container (`container update`).
    static let cpusharesOption = Option("cpushares", help: "Relative weight for CPU Shares", integer: true)
    static let memoryOption = Option("memory", help: "RAM memory hard limit in MB", integer: true)

    /// The positional of the container verbs that take exactly one container.
    static let containerIdentifier = Positional("identifier", help: "Container's UUID (either long or short) or name[.stack_name]", completion: .container)

    /// `-f/--follow` and `-t/--tail` of the logs commands.
    static let logOptions = [
        Option("follow", short: "f", kind: .flag, help: "Follow log output"),
        Option("tail", short: "t", help: "Output the specified number of lines at the end of logs (defaults: 300)", integer: true),
    ]

    /// `--sync` and its `--timeout`, on every command that starts an asynchronous action.
    static let syncOptions = [
        Option("sync", kind: .flag, help: "Block the command until the async operation has finished"),
        Option("timeout", metavar: "SECONDS", help: "With --sync: give up after this many seconds (default: wait forever)", integer: true, addition: true),
    ]

    static let envHelp = "Set environment variables i.e. \"ENVVAR=foo\" (default: as defined in the image, plus any link- or role-generated variables)"
    /// 1.0.9's `service env update` spelled it with a capital A.
    static let envHelpCapitalised = envHelp.replacingOccurrences(of: "(default: as", with: "(default: As")
    /// `-e` and `--env-file` set container_envvars, in a service's definition and in `service env add|set|update`.
    static func envOption(_ help: String = envHelp) -> Option {
        Option("env", short: "e", kind: .append, help: help, sets: .list("container_envvars", .environment))
    }
    static let envFileOption = Option("env-file", kind: .append, help: "Read in a line delimited file of environment variables", completion: .file,
                                      sets: .list("container_envvars", .environmentFiles))
    static let redeployOption = Option("redeploy", kind: .flag, help: "Redeploy service with new configuration after set command")

    /// `service env add|set|update`: the same flags, a different summary.
    static func envChange(_ name: String, summary: String, envHelp: String = envHelp) -> Command {
        Command(name, summary: summary, options: [envOption(envHelp), envFileOption] + syncOptions + [redeployOption], positionals: [serviceIdentifiers])
    }

    /// The commands that take a service's definition. 1.0.9 declared its options three times, with
    /// differences kept here: `service set` changes `--image` where the others take `-n/--name`, has the
    /// `--no-` switches, `--redeploy`, no "(default: 1)" and other words for two switches; `run`
    /// offers ON_FAILURE for --autodestroy (a bug of 1.0.9, §12.9); `service create` quotes its
    /// --publish example with '.
    enum DefinitionVerb { case run, serviceCreate, serviceRun, serviceSet }

    /// The options that define a service, declared once for `run`, `service create`, `service run`
    /// and `service set`, each with the API attribute it sets (ServiceInput builds the bodies from them).
    static func serviceDefinition(_ verb: DefinitionVerb) -> [Option] {
        let set = verb == .serviceSet
        let privileged = Option("privileged", kind: .flag, help: "Give extended privileges to this container", sets: .boolean("privileged"))
        let autoredeploy = Option("autoredeploy", kind: .flag, help: set ? "Set the containers to be auto redeployed" : "Whether the containers should be auto redeployed.",
                                  sets: .boolean("autoredeploy"))
        let sequential = Option("sequential", kind: .flag, help: set ? "Set the containers to be launched and scaled sequentially" : "Whether the containers should be launched and scaled sequentially",
                                sets: .boolean("sequential_deployment"))
        // Ours: docker-cloud-server moves such containers off a node that stays unreachable.
        let reschedule = Option("reschedule", kind: .flag, help: set ? "Set the containers to be started on other nodes when their node is lost"
                                    : "Start the containers on other nodes when their node is lost (as HIGH_AVAILABILITY does)",
                                addition: true, sets: .booleanWhenGiven("reschedule"))
        let quote = verb == .serviceCreate ? "'" : "\""
        return [
            set ? Option("image", help: "The name of the image used to deploy this service", sets: .string("image"))
                : Option("name", short: "n", help: "A human-readable name for the service (default: image_tag without namespace)", sets: .string("name")),
            cpusharesOption.setting(.integer("cpu_shares")),
            memoryOption.setting(.integer("memory")),
            privileged,
            // 1.0.9's set had the --no- switches; on the other verbs they are ours.
            privileged.negation(help: set ? "Reclaim extended privileges from this container" : "Do not give extended privileges to this container (the default)", addition: !set),
            Option("target-num-containers", short: "t", help: "The number of containers to run for this service" + (set ? "" : " (default: 1)"), integer: true,
                   sets: .integer("target_num_containers")),
            Option("run-command", short: "r", help: "The command used to start the service containers (default: as defined in the image)", sets: .string("run_command")),
            Option("entrypoint", help: "The command prefix used to start the service containers (default: as defined in the image)", sets: .string("entrypoint")),
            Option("publish", short: "p", kind: .append, help: "Publish a container's port to the host. Format: [hostPort:]containerPort[/protocol], i.e. \(quote)80:80/tcp\(quote)",
                   sets: .list("container_ports", .publishedPorts)),
            Option("expose", kind: .append, help: "Expose a port from the container without publishing it to your host", integer: true,
                   sets: .list("container_ports", .exposedPorts)),
            envOption(),
            envFileOption,
            Option("tag", kind: .append, help: "The tag name being added to the service", sets: .list("tags", .tagNames)),
            Option("link-service", kind: .append, help: "Add link to another service (name:alias) or (uuid:alias)", completion: .service,
                   sets: .list("linked_to_service", .links)),
            Option("autodestroy", choices: verb == .run ? ["OFF", "ON_FAILURE", "ALWAYS"] : ["OFF", "ON_SUCCESS", "ALWAYS"],
                   help: "Whether the containers should be terminated if they stop (default: OFF)", sets: .string("autodestroy")),
            autoredeploy,
            autoredeploy.negation(help: set ? "Set the containers not to be auto redeployed" : "Do not redeploy the containers automatically (the default)", addition: !set),
            Option("autorestart", choices: ["OFF", "ON_FAILURE", "ALWAYS"], help: "Whether the containers should be restarted if they stop (default: OFF)",
                   sets: .string("autorestart")),
            // 1.0.9 sent roles only when given.
            Option("role", kind: .append, help: "Docker Cloud API roles to grant the service, i.e. \"global\" (default: none, possible values: \"global\")",
                   sets: .list("roles", .strings, sentOnCreate: false)),
            sequential,
            sequential.negation(help: set ? "Set the containers not to be launched and scaled sequentially" : "Launch and scale the containers in parallel (the default)", addition: !set),
        ] + (set ? [redeployOption] : []) + [
            Option("volume", short: "v", kind: .append, help: "Bind mount a volume (e.g., from the host: -v /host:/container, from Docker: -v /container)",
                   sets: .list("bindings", .volumes)),
            Option("volumes-from", kind: .append, help: "Mount volumes from the specified service(s)", completion: .service, sets: .list("bindings", .volumesFrom)),
            Option("deployment-strategy", choices: ["EMPTIEST_NODE", "HIGH_AVAILABILITY", "EVERY_NODE"], help: "Container distribution strategy among nodes",
                   sets: .string("deployment_strategy")),
            reschedule,
            reschedule.negation(help: set ? "Set the containers to wait for their node when it is lost" : "Let the containers wait for their node when it is lost (the default, but for HIGH_AVAILABILITY)", addition: true),
        ] + syncOptions + [
            Option("net", help: "Set the Network mode for the container", sets: .string("net")),
            Option("pid", help: "PID namespace to use", sets: .string("pid")),
        ]
    }

    static let run = Command(
        "run",
        summary: "Create and run a new service",
        options: serviceDefinition(.run),
        positionals: [
            Positional("image", help: "The name of the image used to deploy this service"),
        ]
    )

    static let service = Command(
        "service",
        summary: "Service-related operations",
        subcommands: [
            CommandTableParts.serviceCreate,
            Command(
                "env",
                summary: "Service environment variables related operations",
                subcommands: [
                    envChange("add", summary: "Add new environment variables"),
                    Command(
                        "ls",
                        aliases: ["list", "ps"],
                        summary: "List all environment variables",
                        options: [
                            Option("quiet", short: "q", kind: .flag, help: "Print only key value pair"),
                            Option("user", kind: .flag, help: "Show only user defined environment variables"),
                            Option("image", kind: .flag, help: "Show only image defined environment variables"),
                            Option("dockercloud", kind: .flag, help: "Show only Docker Cloud defined environment variables"),
                            formatOption,
                        ],
                        positionals: [
                            Positional("identifier", help: "Service's UUID (either long or short) or name[.stack_name]", completion: .service),
                        ]
                    ),
                    Command(
                        "rm",
                        summary: "Remove existing environment variables",
                        options: [
                            Option("name", short: "n", kind: .append, help: "Names of the environments to remove"),
                        ] + syncOptions + [
                            redeployOption,
                        ],
                        positionals: [
                            serviceIdentifiers,
                        ]
                    ),
                    envChange("set", summary: "Replace existing environment variables with new ones"),
                    envChange("update", summary: "Update existing environment variables with new values", envHelp: envHelpCapitalised),
                ]
            ),
            Command(
                "inspect",
                summary: "Get all details from a service",
                options: [
                    formatOption,
                ],
                positionals: [
                    serviceIdentifiers,
                ]
            ),
            Command(
                "logs",
                summary: "Get logs from a service",
                options: logOptions,
                positionals: [
                    serviceIdentifiers,
                ]
            ),
            Command(
                "ps",
                aliases: ["ls", "list"],
                summary: "List services",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only long UUIDs"),
                    Option("status", short: "s", choices: ["Init", "Stopped", "Starting", "Running", "Stopping", "Terminating", "Terminated", "Scaling", "Partly running", "Not running", "Redeploying"], help: "Filter services by status"),
                    Option("stack", help: "Filter services by stack (UUID either long or short, or name)", completion: .stack),
                    formatOption,
                ]
            ),
            Command(
                "redeploy",
                summary: "Redeploy a running service",
                options: [
                    Option("not-reuse-volumes", kind: .flag, help: "Do not reuse volumes in redeployment"),
                ] + syncOptions,
                positionals: [
                    serviceIdentifiers,
                ]
            ),
            CommandTableParts.serviceRun,
            Command(
                "scale",
                summary: "Scale a running service",
                options: syncOptions,
                positionals: [
                    serviceIdentifiers,
                    Positional("target-num-containers", help: "Target number of containers to scale this service to", integer: true),
                ]
            ),
            CommandTableParts.serviceSet,
            Command(
                "start",
                summary: "Start a stopped service",
                options: syncOptions,
                positionals: [
                    serviceIdentifiers,
                ]
            ),
            Command(
                "stop",
                summary: "Stop a running service",
                options: syncOptions,
                positionals: [
                    serviceIdentifiers,
                ]
            ),
            Command(
                "terminate",
                summary: "Terminate a service",
                options: syncOptions,
                positionals: [
                    serviceIdentifiers,
                ]
            ),
        ]
    )

    static let serviceCreate = Command(
        "create",
        summary: "Create a new service",
        options: serviceDefinition(.serviceCreate),
        positionals: [
            Positional("image", help: "The name of the image used to deploy this service"),
        ]
    )

    static let serviceRun = Command(
        "run",
        summary: "Create and run a new service",
        options: serviceDefinition(.serviceRun),
        positionals: [
            Positional("image", help: "The name of the image used to deploy this service"),
        ]
    )

    static let serviceSet = Command(
        "set",
        summary: "Change and replace the existing service properties",
        description: "Change service properties. This command REPLACES the existing properties.",
        options: serviceDefinition(.serviceSet),
        positionals: [
            serviceIdentifiers,
        ]
    )

    static let stack = Command(
        "stack",
        summary: "Stack-related operations",
        subcommands: [
            Command(
                "create",
                summary: "Create a new stack without deploying",
                options: [
                    Option("name", short: "n", help: "The name of the stack shown in Docker Cloud"),
                    Option("file", short: "f", kind: .append, help: "The name of the Stackfile", completion: .file),
                ] + syncOptions
            ),
            Command(
                "export",
                summary: "Export the stack from Docker Cloud",
                options: [
                    Option("file", short: "f", help: "The name of the file to export to", completion: .file),
                ],
                positionals: [
                    Positional("identifier", help: "UUID or name of the stack", completion: .stack),
                ]
            ),
            Command(
                "inspect",
                summary: "Inspect a stack",
                options: [
                    formatOption,
                ],
                positionals: [
                    stackIdentifiers,
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List stacks",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only long UUIDs"),
                    formatOption,
                ]
            ),
            Command(
                "redeploy",
                summary: "Redeploy a running stack",
                options: [
                    Option("not-reuse-volumes", kind: .flag, help: "Do not reuse volumes in redeployment"),
                ] + syncOptions,
                positionals: [
                    stackIdentifiers,
                ]
            ),
            Command(
                "start",
                summary: "Start a stack",
                options: syncOptions,
                positionals: [
                    stackIdentifiers,
                ]
            ),
            Command(
                "stop",
                summary: "Stop a stack",
                options: syncOptions,
                positionals: [
                    stackIdentifiers,
                ]
            ),
            Command(
                "terminate",
                summary: "Terminate a stack",
                options: syncOptions,
                positionals: [
                    stackIdentifiers,
                ]
            ),
            Command(
                "up",
                summary: "Create and deploy a stack",
                options: [
                    Option("name", short: "n", help: "The name of the stack, which will be shown in Docker Cloud"),
                    Option("file", short: "f", kind: .append, help: "The name of the Stackfile", completion: .file),
                ] + syncOptions
            ),
            Command(
                "update",
                summary: "Update a stack",
                options: [
                    Option("file", short: "f", kind: .append, help: "The name of the Stackfile", completion: .file),
                ] + syncOptions,
                positionals: [
                    Positional("identifier", help: "Stack's UUID (either long or short) or name", completion: .stack),
                ]
            ),
        ]
    )

    static let tag = Command(
        "tag",
        summary: "Tag-related operations",
        subcommands: [
            Command(
                "add",
                summary: "Add tags to services, nodes or nodeclusters",
                options: [
                    Option("tag", short: "t", kind: .append, help: "Name of the tag", required: true),
                ],
                positionals: [
                    taggableIdentifiers,
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List all tags associated with services, nodes or nodeclusters",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only tag names"),
                    formatOption,
                ],
                positionals: [
                    taggableIdentifiers,
                ]
            ),
            Command(
                "rm",
                summary: "Remove tags from services, nodes or nodeclusters",
                options: [
                    Option("tag", short: "t", kind: .append, help: "Name of the tag", required: true),
                ],
                positionals: [
                    taggableIdentifiers,
                ]
            ),
            Command(
                "set",
                summary: "Set tags from services, nodes or nodeclusters, overwriting existing tags",
                description: "Set tags from services, nodes or nodeclusters. This will remove all the existing tags",
                options: [
                    Option("tag", short: "t", kind: .append, help: "Name of the tag", required: true),
                ],
                positionals: [
                    taggableIdentifiers,
                ]
            ),
        ]
    )

    static let trigger = Command(
        "trigger",
        summary: "Trigger-related operations",
        subcommands: [
            Command(
                "create",
                summary: "Create trigger to services",
                options: [
                    Option("name", short: "n", help: "Name of the trigger (optional)"),
                    Option("operation", short: "o", help: "Operation of the trigger (default:redeploy)"),
                ],
                positionals: [
                    triggerServiceIdentifier,
                ]
            ),
            Command(
                "ls",
                aliases: ["list", "ps"],
                summary: "List all trigger associated with services",
                description: "List all triggers associated with services",
                options: [
                    Option("quiet", short: "q", kind: .flag, help: "Print only trigger uuid"),
                    formatOption,
                ],
                positionals: [
                    triggerServiceIdentifier,
                ]
            ),
            Command(
                "rm",
                summary: "Remove trigger from a service",
                positionals: [
                    triggerServiceIdentifier,
                    Positional("trigger", .oneOrMore, help: "UUID or name of the trigger", completion: .trigger),
                ]
            ),
            Command(
                "call",
                summary: "Call a trigger's URL (no credentials needed)",
                positionals: [
                    Positional("url", help: "The trigger's URL, or its resource URI"),
                ],
                addition: true
            ),
        ]
    )

    static let up = Command(
        "up",
        summary: "Create and deploy a stack",
        options: [
            Option("name", short: "n", help: "The name of the stack, which will be shown in Docker Cloud"),
            Option("file", short: "f", kind: .append, help: "The name of the Stackfile", completion: .file),
        ] + syncOptions
    )
}
