import DockerCloudAPI
import Foundation
import XCTest

@testable import DockerCloudCLI

final class StackfileLoaderTests: XCTestCase {
    private var root = ""

    override func setUpWithError() throws {
        root = NSTemporaryDirectory() + "stackfile-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: root)
    }

    // MARK: - Helpers

    /// Writes `text` at `root/relative` (making directories) and returns the full path.
    @discardableResult
    private func write(_ relative: String, _ text: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    private func mkdir(_ relative: String) throws -> String {
        let path = root + "/" + relative
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Loads `files` with `environment`; returns the services and the warnings.
    private func load(_ files: [String], environment: [String: String] = [:]) throws -> ([JSONValue], [String]) {
        var warnings: [String] = []
        let loader = StackfileLoader(environment: environment) { warnings.append($0) }
        let services = try loader.load(files: files)
        return (services, warnings)
    }

    /// The text of the CommandError that loading `files` throws.
    private func loadError(_ files: [String], environment: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try load(files, environment: environment)
            XCTFail("expected an error", file: file, line: line)
            return ""
        } catch let error as CommandError {
            return error.description
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return ""
        }
    }

    private func service(_ services: [JSONValue], _ name: String) -> [String: JSONValue] {
        services.first { $0["name"] == .string(name) }?.objectValue ?? [:]
    }

    // MARK: - Discovery

    func testDiscoverFindsTheNearestDirectoryFirst() throws {
        try write("docker-compose.yml", "a: {image: a}\n")
        let nearer = try write("a/docker-cloud.yml", "a: {image: a}\n")
        let start = try mkdir("a/b/c")
        XCTAssertEqual(StackfileLoader.discover(from: start), [nearer])
    }

    func testDiscoverClimbsToAParent() throws {
        let top = try write("docker-compose.yml", "a: {image: a}\n")
        let start = try mkdir("x/y")
        XCTAssertEqual(StackfileLoader.discover(from: start), [top])
    }

    func testDiscoverAddsTheOverrideFile() throws {
        let main = try write("tutum.yml", "a: {image: a}\n")
        let override = try write("tutum.override.yml", "a: {image: b}\n")
        try write("docker-cloud.override.yml", "a: {image: c}\n")  // no docker-cloud.yml beside it: not used
        XCTAssertEqual(StackfileLoader.discover(from: root), [main, override])
    }

    func testDiscoverPrefersNamesInOrder() throws {
        try write("docker-compose.yaml", "")
        try write("docker-compose.yml", "")
        try write("tutum.yaml", "")
        let tutum = root + "/tutum.yml"
        try write("tutum.yml", "")
        XCTAssertEqual(StackfileLoader.discover(from: root), [tutum])
        let yaml = try write("docker-cloud.yaml", "")
        XCTAssertEqual(StackfileLoader.discover(from: root), [yaml])
        let yml = try write("docker-cloud.yml", "")
        XCTAssertEqual(StackfileLoader.discover(from: root), [yml])
        try FileManager.default.removeItem(atPath: yml)
        try FileManager.default.removeItem(atPath: yaml)
        try FileManager.default.removeItem(atPath: tutum)
        try FileManager.default.removeItem(atPath: root + "/tutum.yaml")
        XCTAssertEqual(StackfileLoader.discover(from: root), [root + "/docker-compose.yml"])
    }

    func testDiscoverNormalisesTheDirectory() throws {
        let file = try write("a/docker-cloud.yml", "")
        _ = try mkdir("b")
        XCTAssertEqual(StackfileLoader.discover(from: root + "/b/../a/./"), [file])
    }

    func testDiscoverFindsNothing() throws {
        let start = try mkdir("deep/er")
        // Only meaningful when no ancestor of the temporary directory holds a stackfile.
        var ancestor = (root as NSString).deletingLastPathComponent
        while true {
            for name in StackfileLoader.fileNames where FileManager.default.fileExists(atPath: ancestor + "/" + name) {
                throw XCTSkip("\(ancestor)/\(name) exists")
            }
            if ancestor == "/" { break }
            ancestor = (ancestor as NSString).deletingLastPathComponent
        }
        XCTAssertEqual(StackfileLoader.discover(from: start), [])
    }

    func testNoFilesGiveNoServices() throws {
        XCTAssertEqual(try load([]).0, [])
    }

    // MARK: - Interpolation

    func testInterpolationForms() throws {
        let path = try write("interp.yml", """
            web:
              image: $IMAGE:${TAG}
              command: echo $$HOME $${TAG} $$$TAG
              labels:
                unset_default: ${UNSET:-fallback}
                empty_default: ${EMPTY:-fallback}
                empty_dash: ${EMPTY-fallback}
                unset_dash: ${UNSET-fallback}
                set_default: ${TAG:-fallback}
                nested: ${UNSET:-${IMAGE}-x}
                alternative: ${TAG:+yes}
                no_alternative: ${EMPTY:+yes}
                set_empty_plus: ${EMPTY+yes}
                mandatory: ${TAG:?needed}
                mandatory_empty_ok: ${EMPTY?needed}
                lower: $lower_case
              ports:
                - "${PORT}:80"
            """)
        let env = ["IMAGE": "nginx", "TAG": "1.9", "EMPTY": "", "PORT": "8080", "lower_case": "ok"]
        let (services, warnings) = try load([path], environment: env)
        XCTAssertEqual(warnings, [])
        let web = service(services, "web")
        XCTAssertEqual(web["image"], .string("nginx:1.9"))
        XCTAssertEqual(web["command"], .string("echo $HOME ${TAG} $1.9"))
        XCTAssertEqual(web["ports"], .array([.string("8080:80")]))
        XCTAssertEqual(web["labels"], .object([
            "unset_default": .string("fallback"),
            "empty_default": .string("fallback"),
            "empty_dash": .string(""),
            "unset_dash": .string("fallback"),
            "set_default": .string("1.9"),
            "nested": .string("nginx-x"),
            "alternative": .string("yes"),
            "no_alternative": .string(""),
            "set_empty_plus": .string("yes"),
            "mandatory": .string("1.9"),
            "mandatory_empty_ok": .string(""),
            "lower": .string("ok"),
        ]))
    }

    func testUnsetVariableIsBlankWithOneWarningPerFile() throws {
        let a = try write("a.yml", "web:\n  image: img$MISSING\n  command: ${MISSING} $OTHER\n")
        let b = try write("b.yml", "db:\n  image: db${MISSING}\n")
        let (services, warnings) = try load([a, b])
        XCTAssertEqual(service(services, "web")["image"], .string("img"))
        XCTAssertEqual(service(services, "web")["command"], .string(" "))
        XCTAssertEqual(service(services, "db")["image"], .string("db"))
        XCTAssertEqual(warnings, [
            "WARNING:dockercloudcli.interpolation:The MISSING variable is not set. Defaulting to a blank string.",
            "WARNING:dockercloudcli.interpolation:The OTHER variable is not set. Defaulting to a blank string.",
            "WARNING:dockercloudcli.interpolation:The MISSING variable is not set. Defaulting to a blank string.",
        ])
    }

    func testInterpolationTouchesStringValuesOnly() throws {
        let path = try write("keys.yml", """
            web:
              image: x
              labels:
                $KEY: $VALUE
              mem_limit: 512
              list: [$VALUE, 3, true]
            """)
        let (services, _) = try load([path], environment: ["KEY": "k", "VALUE": "v"])
        let web = service(services, "web")
        XCTAssertEqual(web["labels"], .object(["$KEY": .string("v")]))
        XCTAssertEqual(web["mem_limit"], .number(512))
        XCTAssertEqual(web["list"], .array([.string("v"), .number(3), .bool(true)]))
    }

    func testBadInterpolation() throws {
        for bad in ["${", "abc$", "$1", "${1}", "${}", "${FOO:x}", "${FOO", "cost: 5$ each", "${FOO:-x"] {
            let quoted = "'" + bad.replacingOccurrences(of: "'", with: "''") + "'"
            let path = try write("bad.yml", "web:\n  image: nginx\n  command: \(quoted)\n")
            XCTAssertEqual(loadError([path]),
                           "Bad format of the stack file(\(path)): Invalid interpolation format for \"command\" option in service \"web\": \"\(bad)\"",
                           bad)
        }
        // The option named is the service's top-level key, however deep the string is.
        let nested = try write("nested.yml", "web:\n  environment:\n    A: ok\n    B: ${\n")
        XCTAssertEqual(loadError([nested]),
                       "Bad format of the stack file(\(nested)): Invalid interpolation format for \"environment\" option in service \"web\": \"${\"")
    }

    func testMandatoryVariables() throws {
        let path = try write("need.yml", "web:\n  image: ${NEED:?please set NEED}\n")
        XCTAssertEqual(loadError([path]),
                       "Bad format of the stack file(\(path)): Missing mandatory value for \"image\" option in service \"web\": please set NEED")
        XCTAssertEqual(loadError([path], environment: ["NEED": ""]),
                       "Bad format of the stack file(\(path)): Missing mandatory value for \"image\" option in service \"web\": please set NEED")
        XCTAssertEqual(service(try load([path], environment: ["NEED": "img"]).0, "web")["image"], .string("img"))

        let unsetOnly = try write("need2.yml", "web:\n  image: x${NEED?}\n")
        XCTAssertEqual(service(try load([unsetOnly], environment: ["NEED": ""]).0, "web")["image"], .string("x"))
        XCTAssertEqual(loadError([unsetOnly]),
                       "Bad format of the stack file(\(unsetOnly)): Missing mandatory value for \"image\" option in service \"web\": required variable NEED is missing a value")
    }

    // MARK: - Several files

    func testLaterFileReplacesWholeServices() throws {
        let a = try write("a.yml", """
            web:
              image: web:1
              ports: ["80:80"]
              environment: {A: "1"}
            db:
              image: mysql
            """)
        let b = try write("b.yml", """
            cache:
              image: redis
            web:
              image: web:2
            """)
        let (services, _) = try load([a, b])
        XCTAssertEqual(services, [
            .object(["name": .string("web"), "image": .string("web:2")]),
            .object(["name": .string("db"), "image": .string("mysql")]),
            .object(["name": .string("cache"), "image": .string("redis")]),
        ])
    }

    func testServicesKeepFileOrderAndGetTheirName() throws {
        let path = try write("order.yml", """
            zeta: {image: z, name: ignored}
            alpha: {image: a}
            mid:
            """)
        let (services, _) = try load([path])
        XCTAssertEqual(services.map { $0["name"]?.stringValue ?? "" }, ["zeta", "alpha", "mid"])
        XCTAssertEqual(services[2], .object(["name": .string("mid")]))  // `mid:` with nothing under it: an empty service, as in 1.0.9
    }

    // MARK: - Compose v2/v3

    func testComposeV2Layout() throws {
        let path = try write("docker-compose.yml", """
            version: '2'
            services:
              web:
                image: nginx:$TAG
              db:
                image: mysql
            networks:
              front: {}
            volumes:
              data: {}
            x-common: &common
              restart: always
            """)
        let (services, warnings) = try load([path], environment: ["TAG": "1.9"])
        XCTAssertEqual(services, [
            .object(["name": .string("web"), "image": .string("nginx:1.9")]),
            .object(["name": .string("db"), "image": .string("mysql")]),
        ])
        XCTAssertEqual(warnings, [
            "WARNING:dockercloudcli.stackfile:Ignoring the top-level \"networks\", \"volumes\" sections of \(path): Docker Cloud stacks do not support them.",
        ])
    }

    func testComposeSpecWithoutVersion() throws {
        let path = try write("compose.yml", """
            services:
              web:
                image: nginx
            secrets:
              token: {file: ./token}
            """)
        let (services, warnings) = try load([path])
        XCTAssertEqual(services, [.object(["name": .string("web"), "image": .string("nginx")])])
        XCTAssertEqual(warnings, [
            "WARNING:dockercloudcli.stackfile:Ignoring the top-level \"secrets\" section of \(path): Docker Cloud stacks do not support it.",
        ])
    }

    func testComposeV1ServiceNamedServicesStaysV1() throws {
        let path = try write("v1.yml", "services:\n  image: busybox\n")
        XCTAssertEqual(try load([path]).0, [.object(["name": .string("services"), "image": .string("busybox")])])
    }

    func testComposeV2Errors() throws {
        let empty = try write("empty-v2.yml", "version: '3'\nservices: {}\n")
        XCTAssertEqual(loadError([empty]), "Bad format of the stack file: \(empty)")
        let noServices = try write("none-v2.yml", "version: '3'\n")
        XCTAssertEqual(loadError([noServices]), "Bad format of the stack file: \(noServices)")
        let list = try write("list-v2.yml", "version: '3'\nservices: [web]\n")
        XCTAssertEqual(loadError([list]),
                       "Bad format of the stack file(\(list)): \"services\" must be a mapping of service names to services, not a list")
    }

    // MARK: - environment injection

    func testEnvironmentListInjection() throws {
        let path = try write("env.yml", """
            web:
              image: x
              environment:
                - FOO
                - UNSET
                - BAZ=1
                - EMPTY
                - FOO=explicit
            """)
        let (services, _) = try load([path], environment: ["FOO": "bar", "EMPTY": "", "BAZ": "env"])
        XCTAssertEqual(service(services, "web")["environment"],
                       .array([.string("FOO=bar"), .string("UNSET"), .string("BAZ=1"), .string("EMPTY"), .string("FOO=explicit")]))
    }

    func testEnvironmentMappingInjection() throws {
        let path = try write("env.yml", """
            web:
              image: x
              environment:
                FOO:
                BAR: ""
                BAZ: keep
                QUX:
                ZERO: 0
            """)
        let (services, _) = try load([path], environment: ["FOO": "bar", "BAR": "b", "BAZ": "env", "ZERO": "z"])
        XCTAssertEqual(service(services, "web")["environment"], .object([
            "FOO": .string("bar"), "BAR": .string("b"), "BAZ": .string("keep"), "QUX": .null, "ZERO": .number(0),
        ]))
    }

    // MARK: - Types

    func testScalarsKeepTheirYAMLTypes() throws {
        let path = try write("typed.yml", """
            web:
              image: "nginx:1.9"
              mem_limit: 512
              cpu_shares: 0x10
              mode: 0755
              flags: 0b101
              big: 1_000
              negative: -12
              ratio: 1.5
              scientific: 1.0e+3
              no_dot: 1e3
              privileged: true
              tty: yes
              stdin_open: Off
              nothing: null
              tilde: ~
              blank:
              ports:
                - "80:80"
                - 80:80
                - 22:22
                - 1:30
                - 8080
              tagged: !!str 123
              quoted: '123'
              date: 2001-12-14
              text: |
                line1
                line2
              infinite: .inf
            """)
        let web = service(try load([path]).0, "web")
        let expected: [String: JSONValue] = [
            "name": .string("web"),
            "image": .string("nginx:1.9"),
            "mem_limit": .number(512),
            "cpu_shares": .number(16),
            "mode": .number(493),
            "flags": .number(5),
            "big": .number(1000),
            "negative": .number(-12),
            "ratio": .number(1.5),
            "scientific": .number(1000),
            "no_dot": .string("1e3"),  // PyYAML's float needs a dot
            "privileged": .bool(true),
            "tty": .bool(true),
            "stdin_open": .bool(false),
            "nothing": .null,
            "tilde": .null,
            "blank": .null,
            "ports": .array([.string("80:80"), .string("80:80"), .string("22:22"), .string("1:30"), .number(8080)]),
            "tagged": .string("123"),
            "quoted": .string("123"),
            "date": .string("2001-12-14"),
            "infinite": .string(".inf"),
            "text": .string("line1\nline2\n"),
        ]
        XCTAssertEqual(web, expected)
        for (key, value) in expected where web[key] != value {
            XCTFail("\(key): \(String(describing: web[key])) != \(value)")
        }
    }

    func testMergeKeysAndAnchors() throws {
        let path = try write("merge.yml", """
            base: &base
              image: base
              restart: always
              environment: {A: "1"}
            web:
              <<: *base
              image: web
            multi:
              <<: [{image: first, tty: true}, {image: second, privileged: true}]
              command: run
            """)
        let services = try load([path]).0
        XCTAssertEqual(service(services, "web"), [
            "name": .string("web"), "image": .string("web"), "restart": .string("always"), "environment": .object(["A": .string("1")]),
        ])
        XCTAssertEqual(service(services, "multi"), [
            "name": .string("multi"), "image": .string("first"), "tty": .bool(true), "privileged": .bool(true), "command": .string("run"),
        ])
    }

    // MARK: - Errors

    func testMissingFile() throws {
        let relative = "nope-\(UUID().uuidString).yml"
        XCTAssertEqual(loadError([relative]), "[Errno 2] No such file or directory: '\(relative)'")
        XCTAssertEqual(loadError([root + "/nope.yml"]), "[Errno 2] No such file or directory: '\(root)/nope.yml'")
    }

    func testDirectoryInsteadOfFile() throws {
        let dir = try mkdir("dir.yml")
        XCTAssertEqual(loadError([dir]), "[Errno 21] Is a directory: '\(dir)'")
    }

    func testUnreadableFile() throws {
        if getuid() == 0 { throw XCTSkip("root can read any file") }
        let path = try write("secret.yml", "web: {image: x}\n")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        XCTAssertEqual(loadError([path]), "[Errno 13] Permission denied: '\(path)'")
    }

    func testEmptyFiles() throws {
        let empty = try write("empty.yml", "")
        XCTAssertEqual(loadError([empty]), "Bad format of the stack file(\(empty)): the file is empty")
        let comments = try write("comments.yml", "# nothing here\n\n")
        XCTAssertEqual(loadError([comments]), "Bad format of the stack file(\(comments)): the file is empty")
        let emptyMap = try write("emptymap.yml", "{}\n")
        XCTAssertEqual(loadError([emptyMap]), "Bad format of the stack file: \(emptyMap)")
    }

    func testTopLevelMustBeAMapping() throws {
        let list = try write("list.yml", "- web\n- db\n")
        XCTAssertEqual(loadError([list]),
                       "Bad format of the stack file(\(list)): the top level must be a mapping of service names to services, not a list")
        let text = try write("text.yml", "hello\n")
        XCTAssertEqual(loadError([text]),
                       "Bad format of the stack file(\(text)): the top level must be a mapping of service names to services, not a string")
    }

    func testServiceMustBeAMapping() throws {
        let scalar = try write("scalar.yml", "web: nginx\n")
        XCTAssertEqual(loadError([scalar]),
                       "Bad format of the stack file(\(scalar)): service \"web\" must be a mapping of options, not a string")
        let list = try write("svc-list.yml", "web:\n  image: x\ndb:\n  - mysql\n")
        XCTAssertEqual(loadError([list]),
                       "Bad format of the stack file(\(list)): service \"db\" must be a mapping of options, not a list")
    }

    func testYAMLSyntaxErrorsAreOneLine() throws {
        let path = try write("syntax.yml", "web:\n  image: nginx\n  ports: [80\n")
        let message = loadError([path])
        XCTAssertTrue(message.hasPrefix("Bad format of the stack file(\(path)): "), message)
        XCTAssertFalse(message.contains("\n"), message)
        XCTAssertTrue(message.contains("line 4, column 1"), message)

        let colon = try write("colon.yml", "web:\n  image: a: b\n")
        let colonMessage = loadError([colon])
        XCTAssertEqual(colonMessage,
                       "Bad format of the stack file(\(colon)): mapping values are not allowed in this context at line 2, column 11")

        let duplicate = try write("dup.yml", "web:\n  image: a\nweb:\n  image: b\n")
        XCTAssertEqual(loadError([duplicate]), "Bad format of the stack file(\(duplicate)): found duplicate key 'web' at line 1, column 1")

        let twoDocuments = try write("two.yml", "web: {image: a}\n---\ndb: {image: b}\n")
        let twoMessage = loadError([twoDocuments])
        XCTAssertTrue(twoMessage.contains("but found another document"), twoMessage)
        XCTAssertFalse(twoMessage.contains("\n"), twoMessage)
    }

    // MARK: - Export

    /// samples/stack_export.out: `print(yaml.safe_dump(export, default_flow_style=False, allow_unicode=True))`.
    func testExportMatchesTheSample() throws {
        let json = #"{"web": {"image": "dockercloud/hello-world", "ports": ["80:80"], "environment": {"FOO": "bar"}}, "db": {"image": "mysql:5.7"}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        let sample = "db:\n  image: mysql:5.7\nweb:\n  environment:\n    FOO: bar\n  image: dockercloud/hello-world\n  ports:\n  - 80:80\n\n"
        XCTAssertEqual(try StackfileYAML.dump(value) + "\n", sample)
    }

    /// Expected texts from PyYAML 3.13 `safe_dump({"k": value}, default_flow_style=False, allow_unicode=True)`.
    func testExportQuotesLikePyYAML() throws {
        let cases: [(String, String)] = [
            ("", "k: ''\n"),
            ("yes", "k: 'yes'\n"),
            ("No", "k: 'No'\n"),
            ("on", "k: 'on'\n"),
            ("null", "k: 'null'\n"),
            ("~", "k: '~'\n"),
            ("123", "k: '123'\n"),
            ("0755", "k: '0755'\n"),
            ("1.5", "k: '1.5'\n"),
            ("1e5", "k: 1e5\n"),
            ("22:22", "k: '22:22'\n"),
            ("80:80", "k: 80:80\n"),
            ("2017-01-01", "k: '2017-01-01'\n"),
            ("=", "k: '='\n"),
            ("<<", "k: '<<'\n"),
            ("- x", "k: '- x'\n"),
            ("-x", "k: -x\n"),
            ("a: b", "k: 'a: b'\n"),
            ("a:b", "k: a:b\n"),
            ("a #b", "k: 'a #b'\n"),
            ("a#b", "k: a#b\n"),
            ("#x", "k: '#x'\n"),
            ("*x", "k: '*x'\n"),
            ("&x", "k: '&x'\n"),
            ("!x", "k: '!x'\n"),
            ("@x", "k: '@x'\n"),
            ("'x", "k: '''x'\n"),
            ("x'y", "k: x'y\n"),
            (" lead", "k: ' lead'\n"),
            ("trail ", "k: 'trail '\n"),
            ("a\nb", "k: 'a\n\n  b'\n"),
            ("tab\there", "k: \"tab\\there\"\n"),
            ("é日本", "k: é日本\n"),
            ("\u{1F600}", "k: \"\\U0001F600\"\n"),
            ("\u{07}", "k: \"\\a\"\n"),
            ("---", "k: '---'\n"),
            ("http://x/?a=b#c", "k: http://x/?a=b#c\n"),
            ("echo $HOME && ls", "k: echo $HOME && ls\n"),
            ("it's a \"test\"\nsecond line", "k: 'it''s a \"test\"\n\n  second line'\n"),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(try StackfileYAML.dump(.object(["k": .string(text)])), expected, text.debugDescription)
        }
    }

    func testExportStructuresAndNumbers() throws {
        let value: JSONValue = .object([
            "a": .object(["b": .object(["c": .array([
                .number(1), .array([.number(2), .number(3)]), .object(["d": .array([]), "e": .object([:])]),
            ])])]),
            "f": .array([.object(["g": .number(1), "h": .null])]),
            "z": .array([.bool(true), .bool(false), .number(0.5), .number(-3), .number(1e-05), .number(1.5e+20)]),
        ])
        XCTAssertEqual(try StackfileYAML.dump(value), """
            a:
              b:
                c:
                - 1
                - - 2
                  - 3
                - d: []
                  e: {}
            f:
            - g: 1
              h: null
            z:
            - true
            - false
            - 0.5
            - -3
            - 1.0e-05
            - 1.5e+20

            """)
    }

    func testExportKeys() throws {
        // Sorted by code point; keys that would read back as another type are quoted; "" needs the explicit "?" form.
        let value: JSONValue = .object(["yes": .number(1), "": .number(2), "b c": .number(3), "80": .number(4)])
        XCTAssertEqual(try StackfileYAML.dump(value), "? ''\n: 2\n'80': 4\nb c: 3\n'yes': 1\n")
        // PyYAML writes keys of 123 characters or more (128 with the "!!str" tag) in the "?" form.
        XCTAssertEqual(try StackfileYAML.dump(.object([String(repeating: "k", count: 122): .number(1)])),
                       String(repeating: "k", count: 122) + ": 1\n")
        XCTAssertEqual(try StackfileYAML.dump(.object([String(repeating: "k", count: 123): .number(1)])),
                       "? " + String(repeating: "k", count: 123) + "\n: 1\n")
    }

    func testExportFoldsLongLines() throws {
        let arguments = (0..<12).map { "argument\($0)" }.joined(separator: " ")
        let value: JSONValue = .object(["cmd": .string("python -c 'import sys; print(sys.argv)' " + arguments)])
        XCTAssertEqual(try StackfileYAML.dump(value), """
            cmd: python -c 'import sys; print(sys.argv)' argument0 argument1 argument2 argument3
              argument4 argument5 argument6 argument7 argument8 argument9 argument10 argument11

            """)
    }

    func testExportTopLevelScalarsAndEmptyCollections() throws {
        XCTAssertEqual(try StackfileYAML.dump(.object([:])), "{}\n")
        XCTAssertEqual(try StackfileYAML.dump(.array([])), "[]\n")
        XCTAssertEqual(try StackfileYAML.dump(.string("abc")), "abc\n...\n")
        XCTAssertEqual(try StackfileYAML.dump(.string("")), "''\n")
        XCTAssertEqual(try StackfileYAML.dump(.null), "null\n...\n")
    }

    func testExportReadsBack() throws {
        let value: JSONValue = .object([
            "web": .object([
                "image": .string("nginx:1.9"),
                "ports": .array([.string("22:22"), .string("80:80")]),
                "command": .string("sh -c 'echo yes: no # really'"),
                "environment": .object(["FLAG": .string("yes"), "N": .string("0755"), "EMPTY": .string("")]),
                "mem_limit": .number(512),
                "privileged": .bool(true),
            ]),
        ])
        let path = try write("export.yml", try StackfileYAML.dump(value))
        let (services, _) = try load([path])
        var web = value["web"]?.objectValue ?? [:]
        web["name"] = .string("web")
        XCTAssertEqual(services, [.object(web)])
    }
}
