import DockerCloudCLI
import Foundation

exit(App.main(CommandLine.arguments))
