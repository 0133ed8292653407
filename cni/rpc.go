// SPDX-License-Identifier: BSD-3-Clause

// The plugin and its daemon talk JSON-RPC (net/rpc/jsonrpc) over a Unix
// socket, as the CNI dhcp plugin and its daemon do: the plugin is called
// once per command and exits; the daemon owns the forwarders, which must
// outlive the call.

package main

import (
	"fmt"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"time"

	"github.com/containernetworking/cni/pkg/types"
)

type AddArgs struct {
	ContainerID string
	Netns       string
	Want        string // window asked for by name (CNI_ARGS CXLMEM_WINDOW), or ""
	Windows     []Window
	Link        Link
	CxlOptions  string
}

type AddReply struct {
	Err    *types.Error
	Window Window
	Mac    string
	Pid    int
}

type IDArgs struct {
	ContainerID string
	Netns       string
}

type Reply struct {
	Err *types.Error
}

// Status is one forwarder as the daemon sees it (List, and the state files).
type Status struct {
	ContainerID string
	Netns       string
	NetnsDev    uint64
	NetnsIno    uint64
	Window      Window
	Created     bool // the window file was created for this pod (removed at DEL)
	Link        Link
	CxlOptions  string
	Prefix      string // DPDK --file-prefix
	Pid         int
	Running     bool
	LinkUp      bool
	Restarts    int
	LastExit    string
}

type ListReply struct {
	Forwarders []Status
}

// call runs one RPC on the daemon at sock.
func call(sock, method string, args, reply interface{}, timeout time.Duration) *types.Error {
	conn, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return types.NewError(types.ErrTryAgainLater,
			fmt.Sprintf("cxlmem: cannot reach the cxlmem daemon at %s: %v", sock, err),
			"start it (`cxlmem daemon --socket "+sock+"`, see docs/cni.md), or set \"daemonSocket\" to where it listens")
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(timeout))
	c := jsonrpc.NewClient(conn)
	defer c.Close()
	if err := c.Call("Daemon."+method, args, reply); err != nil {
		if _, ok := err.(rpc.ServerError); ok {
			return types.NewError(types.ErrInternal, "cxlmem daemon: "+err.Error(), "")
		}
		return types.NewError(types.ErrIOFailure,
			fmt.Sprintf("cxlmem: talking to the daemon at %s: %v", sock, err), "")
	}
	return nil
}
