import DockerCloudServer
import Foundation

exit(await ServerMain.run(CommandLine.arguments))
