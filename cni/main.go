// SPDX-License-Identifier: BSD-3-Clause

// cxlmem: a CNI plugin that gives a CXL card's services a pod's cluster IP
// (see docs/cni.md). One binary, as the CNI dhcp plugin:
//
//	cxlmem                      the plugin (CNI_COMMAND and stdin, as runtimes call it)
//	cxlmem daemon [flags]       the daemon that owns the forwarders
//	cxlmem list [--socket S]    the daemon's forwarders, as JSON
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "daemon":
			runDaemon(os.Args[2:])
			return
		case "list":
			fs := flag.NewFlagSet("cxlmem list", flag.ExitOnError)
			sock := fs.String("socket", defaultSocket, "the daemon's socket")
			_ = fs.Parse(os.Args[2:])
			var r ListReply
			if e := call(*sock, "List", &struct{}{}, &r, 10*time.Second); e != nil {
				fmt.Fprintln(os.Stderr, e.Error())
				os.Exit(1)
			}
			b, _ := json.MarshalIndent(r.Forwarders, "", "  ")
			fmt.Println(string(b))
			return
		}
	}
	skel.PluginMain(cmdAdd, cmdCheck, cmdDel, version.PluginSupports("0.4.0", "1.0.0"),
		"CNI cxlmem plugin: a CXL card's services on the pod's IP, across a CXL memory window (cxl-fwd)")
}
