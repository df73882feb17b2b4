// Command etcd is etcd's own server, built from its module: etcd's go.mod replaces its sibling
// modules with local paths, so it cannot be installed directly, but it can be a dependency.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
